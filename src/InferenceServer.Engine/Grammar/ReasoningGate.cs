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

    /// <summary>The start-of-reasoning marker of the <c>&lt;think&gt;</c> families.</summary>
    public const string ThinkStart = "<think>";

    /// <summary>
    /// <paramref name="constraint"/> (an eager grammar over the whole reply) after an optional reasoning block that
    /// the model opens itself: <c>&lt;think&gt;</c>, text holding neither marker, <c>&lt;/think&gt;</c> and up to four
    /// blanks or line breaks, then the grammar (as llama.cpp's server lets Qwen3 think before a forced call). A
    /// constraint that is lazy or already waits for a marker is returned unchanged. The block's text also refuses a
    /// marker right after a <c>&lt;</c>, a narrowing that keeps the rule small.
    /// </summary>
    public static GrammarConstraint OptionalReasoningFirst(GrammarConstraint constraint)
    {
        if (constraint.Triggers is not null || constraint.StartAfter is not null)
            return constraint;
        string inner = GbnfRename.FreshName(constraint.Gbnf, "answer-root");
        string text = GbnfRename.FreshName(constraint.Gbnf, "reasoning-text");
        string gbnf = $"root ::= ( \"{ThinkStart}\" {text} \"{ThinkEnd}\" [ \\t\\n]{{0,4}} )? {inner}\n" +
                      $"{text} ::= ( [^<] | \"<\" [^/t] | \"<t\" [^h] | \"<th\" [^i] | \"<thi\" [^n] | \"<thin\" [^k] | \"<think\" [^>]" +
                      " | \"</\" [^t] | \"</t\" [^h] | \"</th\" [^i] | \"</thi\" [^n] | \"</thin\" [^k] | \"</think\" [^>] )*\n" +
                      GbnfRename.Rule(constraint.Gbnf, "root", inner);
        return constraint with { Gbnf = gbnf };
    }

    /// <summary>
    /// <paramref name="constraint"/> (a lazy grammar) with triggers that stay quiet inside a reasoning block the model
    /// opens itself (<see cref="GrammarTriggers.QuietInReasoning"/>); other constraints are returned unchanged.
    /// </summary>
    public static GrammarConstraint QuietInReasoning(GrammarConstraint constraint) =>
        constraint.Triggers is { } triggers && constraint.StartAfter is null
            ? constraint with { Triggers = triggers with { QuietInReasoning = true } }
            : constraint;

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
