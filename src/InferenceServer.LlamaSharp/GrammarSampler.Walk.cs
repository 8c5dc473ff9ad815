using System.Numerics.Tensors;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

public sealed partial class GrammarSampler
{
    // First tries by plain argmax: where most tokens fit (inside a string), one of the first few does.
    private const int QuickTries = 8;
    // Then the best-scoring tokens whose first character may come next, in order, each a one-token grammar check: far
    // cheaper than masking, which walks the whole vocabulary through llama.cpp and draws again over all of it.
    private const int MaxWalk = 256;
    private float[] _scores = [];
    private readonly PriorityQueue<int, (float Score, int Index)> _best = new(WorstFirst.Instance);
    private readonly List<int> _order = [];

    /// <summary>Refused first draws picked by the walk, and walks that found nothing so the grammar masked the vocabulary.</summary>
    internal (long Walked, long Masked) WalkCounts => (_walked, _masked);
    private long _walked, _masked;

    /// <summary>
    /// The token the chain would pick if the vocabulary were masked by the grammar, found without the mask: the
    /// highest-scoring token of the chain's last run that fits; null when none of the first <see cref="MaxWalk"/> does.
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
        foreach (int i in BestByScore(scores, MaxWalk, index))
            if (Fits(processed[i].ID))
                return Walked(processed[i].ID);
        return Masked();
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
