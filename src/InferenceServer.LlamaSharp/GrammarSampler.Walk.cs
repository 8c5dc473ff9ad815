using System.Numerics.Tensors;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

public sealed partial class GrammarSampler
{
    // First tries by plain argmax: where most tokens fit (inside a string), one of the first few does.
    private const int QuickTries = 8;
    // Then the best-scoring tokens whose first character may come next, in widening tiers, each tier one llama.cpp
    // pass over just its tokens: far cheaper than masking, which passes the whole vocabulary and draws again over it.
    // The wide tier is for string states near a length limit, where nearly every first character is allowed but only
    // short tokens fit.
    private static readonly int[] WalkTiers = [256, 4096];
    private float[] _scores = [];
    private readonly PriorityQueue<int, (float Score, int Index)> _best = new(WorstFirst.Instance);
    private readonly List<int> _order = [];
    private LLamaTokenData[] _tier = [];

    /// <summary>Refused first draws picked by the walk, and walks that found nothing so the grammar masked the vocabulary.</summary>
    internal (long Walked, long Masked) WalkCounts => (_walked, _masked);
    private long _walked, _masked;

    /// <summary>
    /// The token the chain would pick if the vocabulary were masked by the grammar, found without the mask: the
    /// highest-scoring token of the chain's last run that fits; null when none of the first 4,096 in score order does.
    /// Exact because the chain keeps every candidate (<see cref="ChainScores"/>), its scores do not depend on which
    /// other tokens are masked, and the walk takes equal scores by lower token id, as the chain's argmax does.
    /// </summary>
    private LLamaToken? Walk(ChainScores order, int vocabSize, LLamaToken refused)
    {
        if (_scores.Length < vocabSize)
            _scores = new float[vocabSize];
        var scores = _scores.AsSpan(0, vocabSize);
        var processed = _candidates.AsSpan(0, vocabSize);
        // The candidates stay in token order in chains that keep them all; anything else means no walk.
        if ((int)refused >= vocabSize || processed[(int)refused].ID != refused)
            return null;
        order.CopyTo(processed, scores);
        scores[(int)refused] = float.NegativeInfinity;
        for (int tries = 0; tries < QuickTries; tries++)
        {
            int best = TensorPrimitives.IndexOfMax(scores);
            if (!(scores[best] > float.NegativeInfinity))
                return Masked();
            if (Fits(processed[best].ID))
                return Walked(processed[best].ID);
            scores[best] = float.NegativeInfinity;
        }
        FirstCharIndex? index = null;
        if (_utf8.AtBoundary)
        {
            index = FirstCharIndex.For(_model);
            ProbeFirstChars(index);
        }
        foreach (int tier in WalkTiers)
        {
            var best = BestByScore(scores, tier, index);
            if (FirstAllowed(best, processed) is { } token)
                return Walked(token);
            if (best.Count < tier)
                break;
            // All refused: the next tier need not check them again.
            foreach (int i in best)
                scores[i] = float.NegativeInfinity;
        }
        return Masked();
    }

    // The first of the candidates at <paramref name="indices"/> (best first) that fits, checked in one grammar pass.
    private LLamaToken? FirstAllowed(List<int> indices, ReadOnlySpan<LLamaTokenData> processed)
    {
        if (_tier.Length < indices.Count)
            _tier = new LLamaTokenData[indices.Count];
        int n = 0;
        foreach (int i in indices)
        {
            var id = processed[i].ID;
            if (!_hidden.Contains((int)id) && _utf8.Admits(_tokenBytes[(int)id]))
                _tier[n++] = new LLamaTokenData(id, 0f, 0f);
        }
        if (n == 0)
            return null;
        // llama.cpp marks refused candidates in place and keeps their order.
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(_tier.AsMemory(0, n), false), out var native);
        _grammar!.Apply(ref native);
        foreach (var candidate in native.Data)
            if (!float.IsNegativeInfinity(candidate.Logit))
                return candidate.ID;
        return null;
    }

    private LLamaToken Walked(LLamaToken token)
    {
        _walked++;
        return token;
    }

    private LLamaToken? Masked()
    {
        _masked++;
        return null;
    }

    // Indices of the n highest scores above −∞, best first, equal scores by lower index; with the first-character
    // index, only tokens whose first character the last probe allows (or that start otherwise).
    private List<int> BestByScore(ReadOnlySpan<float> scores, int n, FirstCharIndex? index)
    {
        _best.Clear();
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (!(s > float.NegativeInfinity) || (index is not null && index.FirstChar[i] is >= 0 and var c && !_allowedFirst[c]))
                continue;
            if (_best.Count < n)
                _best.Enqueue(i, (s, i));
            else if (_best.TryPeek(out _, out var worst) && (s > worst.Score || (s == worst.Score && i < worst.Index)))
                _best.DequeueEnqueue(i, (s, i));
        }
        _order.Clear();
        while (_best.TryDequeue(out int i, out _))
            _order.Add(i);
        _order.Reverse();
        return _order;
    }

    // Lowest score first; of equal scores the higher index, which the chain's argmax would take last.
    private sealed class WorstFirst : IComparer<(float Score, int Index)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, int Index) a, (float Score, int Index) b) =>
            a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Index.CompareTo(a.Index);
    }
}
