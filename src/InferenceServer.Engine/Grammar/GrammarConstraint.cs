using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// A grammar and when it applies: from the first token, after a trigger (<see cref="Triggers"/>), and only in the text
/// after <see cref="StartAfter"/> (the end of the reasoning). Built by <c>ToolCallGrammar</c> and
/// <see cref="ReasoningGate"/>; put on a request with <see cref="ApplyTo"/>.
/// </summary>
/// <param name="Gbnf">The GBNF text, start rule <c>root</c>.</param>
/// <param name="Triggers">Null: the grammar applies at once; else it sleeps until a trigger occurs.</param>
/// <param name="StartAfter">Null, or a literal text (e.g. <c>&lt;/think&gt;</c>): the grammar (and its triggers) only sees the output after it.</param>
public sealed record GrammarConstraint(string Gbnf, GrammarTriggers? Triggers = null, string? StartAfter = null)
{
    /// <summary>True when the grammar does not apply from the first token.</summary>
    public bool IsLazy => Triggers is not null || StartAfter is not null;

    /// <summary><paramref name="sampling"/> with this constraint as its grammar.</summary>
    public SamplingParams ApplyTo(SamplingParams sampling) =>
        sampling with { Grammar = Gbnf, GrammarTriggers = Triggers, GrammarStartAfter = StartAfter };
}
