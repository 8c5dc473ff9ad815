using InferenceServer.Engine.Grammar;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>Grammar checks against the model's vocabulary with llama.cpp's grammar sampler (<see cref="GrammarSampler.Check"/>).</summary>
internal sealed class LlamaGrammarChecker(SafeLlamaModelHandle model) : IGrammarChecker
{
    public string? Check(string gbnf, GrammarTriggers? triggers, string? startAfter) =>
        GrammarSampler.Check(model, gbnf, triggers, startAfter);
}
