using InferenceServer.Engine.Sequences;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Builds a llama.cpp sampler chain for one sequence from its <see cref="SamplingParams"/>, in llama.cpp's common
/// order: logit bias → penalties → top-k → top-p → min-p → temperature → seeded draw; greedy when temperature is 0.
/// The draw is <see cref="SeededGumbelSampler"/> rather than llama.cpp's <c>dist</c>, so a seed reproduces under load.
/// </summary>
public static class SamplerChainBuilder
{
    /// <summary>Creates the chain. <paramref name="penaltyWindow"/> is how many recent tokens the penalties see.</summary>
    public static SafeLLamaSamplerChainHandle Create(SamplingParams p, int vocabSize, int penaltyWindow) =>
        Create(p, vocabSize, penaltyWindow, out _);

    /// <summary>Creates the chain and the <see cref="ChainScores"/> its picks follow (null where it has none).</summary>
    public static SafeLLamaSamplerChainHandle Create(SamplingParams p, int vocabSize, int penaltyWindow, out ChainScores? scores)
    {
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        if (p.LogitBias.Count > 0)
        {
            var biases = p.LogitBias.Select(kv => new LLamaLogitBias { Token = (LLamaToken)kv.Key, Bias = kv.Value }).ToArray();
            chain.AddLogitBias(vocabSize, biases);
        }
        // The sampler sees only generated tokens (its chain accepts each sampled token), so the penalties follow
        // OpenAI's definition: tokens that appeared in the text generated so far.
        if (p.PresencePenalty != 0f || p.FrequencyPenalty != 0f)
            chain.AddPenalties(penaltyWindow, 1f, p.FrequencyPenalty, p.PresencePenalty);
        if (p.IsGreedy)
        {
            chain.AddGreedySampler();
            scores = ChainScores.For(p, null);
            return chain;
        }
        if (p.TopK > 0)
            chain.AddTopK(p.TopK);
        if (p.TopP < 1f)
            chain.AddTopP(p.TopP, 1);
        if (p.MinP > 0f)
            chain.AddMinP(p.MinP, 1);
        chain.AddTemperature(p.Temperature);
        var draw = new SeededGumbelSampler(p.Seed ?? 0);
        chain.AddCustom(draw);
        scores = ChainScores.For(p, draw);
        return chain;
    }
}
