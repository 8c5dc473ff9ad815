using InferenceServer.Engine.Grammar;

namespace InferenceServer.Engine.Models;

/// <summary>Checks, before a request is queued, that the sampler can compile its grammar; thread-safe.</summary>
public interface IGrammarChecker
{
    /// <summary>
    /// Null when <paramref name="gbnf"/> (with its lazy <paramref name="triggers"/> or <paramref name="startAfter"/>
    /// marker) compiles and some output can satisfy it, else why not, in words a 400 can carry.
    /// </summary>
    string? Check(string gbnf, GrammarTriggers? triggers, string? startAfter);
}
