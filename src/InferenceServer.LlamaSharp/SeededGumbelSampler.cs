using System.Numerics.Tensors;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The last link of a sampling chain: picks <c>argmax(logit + g)</c> over the remaining candidates, where
/// <c>g = −ln(−ln u)</c> is Gumbel noise and <c>u</c> is a uniform drawn by hashing (seed, step, token id).
/// By the Gumbel-max trick this samples exactly from <c>softmax(logits)</c> (the logits already carry the
/// temperature), like llama.cpp's <c>dist</c> sampler.
/// </summary>
/// <remarks>
/// Why not <c>dist</c>: inverse-CDF sampling turns any change in any logit into a shifted cumulative sum, and a
/// batch of 16 sequences does not compute bit-identical logits to a batch of one (different matrix kernels and
/// KV layouts). With per-token noise fixed by (seed, step, token), a choice only changes when two candidates'
/// noisy scores are within that rounding of each other — as rare as a flipped greedy choice — so a seeded request
/// gives the same text alone and under load.
/// </remarks>
public sealed class SeededGumbelSampler : ICustomSampler
{
    private readonly ulong _seed;
    private long _step;
    private float[] _noise = new float[1024];
    private int _lastCount;

    /// <summary>Creates a sampler whose draws are fixed by <paramref name="seed"/>.</summary>
    public SeededGumbelSampler(ulong seed) => _seed = seed;

    /// <inheritdoc />
    public string Name => "seeded-gumbel";

    /// <summary>logit + noise of each candidate of the last <see cref="Apply"/>, in the candidates' order.</summary>
    internal ReadOnlySpan<float> LastScores => _noise.AsSpan(0, _lastCount);

    /// <summary>Tokens accepted so far (the index of the next draw).</summary>
    public long Step => _step;

    /// <inheritdoc />
    public void Apply(ref LLamaTokenDataArrayNative tokenData)
    {
        var candidates = tokenData.Data;
        _lastCount = candidates.Length;
        if (candidates.Length == 0)
            return;
        if (_noise.Length < candidates.Length)
            _noise = new float[candidates.Length];
        var noise = _noise.AsSpan(0, candidates.Length);
        ulong stepKey = Mix(_seed ^ Mix((ulong)_step + 0x9E3779B97F4A7C15UL));
        for (int i = 0; i < candidates.Length; i++)
            noise[i] = Uniform(Mix(stepKey ^ (ulong)(uint)(int)candidates[i].ID));
        // g = −ln(−ln u), vectorised.
        TensorPrimitives.Log(noise, noise);
        TensorPrimitives.Negate(noise, noise);
        TensorPrimitives.Log(noise, noise);
        TensorPrimitives.Negate(noise, noise);
        for (int i = 0; i < candidates.Length; i++)
            noise[i] += candidates[i].Logit;
        tokenData.Selected = TensorPrimitives.IndexOfMax(noise);
    }

    /// <inheritdoc />
    public void Accept(LLamaToken token) => _step++;

    /// <inheritdoc />
    public void Reset() => _step = 0;

    /// <inheritdoc />
    public ICustomSampler Clone() => new SeededGumbelSampler(_seed) { _step = _step };

    /// <inheritdoc />
    public void Dispose() { }

    // SplitMix64's finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014).
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A float strictly inside (0, 1): 23 random bits, centred in their interval, so both ends (2⁻²⁴ and 1 − 2⁻²⁴) are
    /// exact floats. With 24 bits the top value rounds to 1.0f, whose noise is +∞: that token wins whatever its logit,
    /// and a token masked to −∞ becomes NaN.
    /// </summary>
    internal static float Uniform(ulong bits) => ((bits >> 41) + 0.5f) / 8388608f;
}
