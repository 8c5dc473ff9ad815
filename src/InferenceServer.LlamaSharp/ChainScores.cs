using InferenceServer.Engine.Sequences;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The scores a sampler chain's last link takes the argmax of, read right after the chain ran: the processed logits
/// (bias and penalties applied) for greedy, logit plus the draw's Gumbel noise for <see cref="SeededGumbelSampler"/>.
/// Only chains that keep every candidate (no top-k, top-p or min-p) have them: for those, the chain's pick among any
/// subset of the vocabulary is the subset's highest score, so a grammar finds the pick it would get by masking the
/// whole vocabulary by walking down the scores instead (<see cref="GrammarSampler.Sample"/>).
/// </summary>
public sealed class ChainScores
{
    private readonly SeededGumbelSampler? _draw;

    private ChainScores(SeededGumbelSampler? draw) => _draw = draw;

    /// <summary>
    /// The scores of the chain <see cref="SamplerChainBuilder"/> built for <paramref name="sampling"/>, whose
    /// draw is <paramref name="draw"/> (null when greedy); null when the chain drops candidates, so masking first
    /// could change which ones it keeps.
    /// </summary>
    public static ChainScores? For(SamplingParams sampling, SeededGumbelSampler? draw)
    {
        if (sampling.IsGreedy)
            return new ChainScores(null);
        bool keepsAll = sampling.TopK <= 0 && sampling.TopP >= 1f && sampling.MinP <= 0f;
        return keepsAll && draw is not null ? new ChainScores(draw) : null;
    }

    /// <summary>Copies the scores of the chain's last run over <paramref name="processed"/> (its candidates, in order) into <paramref name="into"/>.</summary>
    internal void CopyTo(ReadOnlySpan<LLamaTokenData> processed, Span<float> into)
    {
        if (_draw is null)
        {
            for (int i = 0; i < processed.Length; i++)
                into[i] = processed[i].Logit;
            return;
        }
        _draw.LastScores.CopyTo(into);
    }
}
