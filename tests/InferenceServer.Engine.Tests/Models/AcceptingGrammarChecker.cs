using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Models;

namespace InferenceServer.Engine.Tests.Models;

/// <summary>A grammar check for tests without a sampler: every grammar passes (a fake runner does not constrain output).</summary>
public sealed class AcceptingGrammarChecker : IGrammarChecker
{
    public string? Check(string gbnf, GrammarTriggers? triggers, string? startAfter) => null;
}
