namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Makes a grammar wait for the end of a model's reasoning: a thinking model writes its reasoning freely, and the
/// structured output or tool-call grammar applies to what follows the end marker. The sampler watches the output for
/// the marker as plain text (no regular expression, so a long reasoning costs nothing and cannot exhaust the native
/// stack) and only then starts the grammar, which never sees the reasoning: an eager grammar constrains what follows
/// the marker, after up to four blanks or line breaks (thinking models write <c>&lt;/think&gt;\n\n</c> before the
/// answer), and a lazy one starts listening for its triggers there.
/// </summary>
public static class ReasoningGate
{
    /// <summary>The end-of-reasoning marker of the <c>&lt;think&gt;</c> families (Qwen3, QwQ, DeepSeek R1).</summary>
    public const string ThinkEnd = "</think>";

    /// <summary><paramref name="constraint"/> applying only after <paramref name="endMarker"/> has been generated.</summary>
    /// <exception cref="ArgumentException">The marker is empty, or the constraint already waits for another one.</exception>
    public static GrammarConstraint AfterReasoning(GrammarConstraint constraint, string endMarker = ThinkEnd)
    {
        ArgumentException.ThrowIfNullOrEmpty(endMarker);
        if (constraint.StartAfter is { } other && other != endMarker)
            throw new ArgumentException($"The grammar already waits for '{other}'.", nameof(constraint));
        if (constraint.StartAfter is not null)
            return constraint;
        if (constraint.Triggers is not null)
            return constraint with { StartAfter = endMarker };
        string inner = GbnfRename.FreshName(constraint.Gbnf, "answer-root");
        string gbnf = $"root ::= [ \\t\\n]{{0,4}} {inner}\n" + GbnfRename.Rule(constraint.Gbnf, "root", inner);
        return constraint with { Gbnf = gbnf, StartAfter = endMarker };
    }
}
