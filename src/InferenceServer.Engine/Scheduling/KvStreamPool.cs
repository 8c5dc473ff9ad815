using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// The engine's KV streams: MaxSequences groups of cells, one per sequence holding blocks (its own stream of cells in
/// the per-sequence layout, a tag on its cells in the unified one); the runner maps each to a llama.cpp sequence id of
/// its own. This pool holds the free streams and, when streams retain (per-sequence layout), the tokens each free stream
/// still holds: cells 0 … n − 1 computed by the last sequence there. A new sequence takes the free stream whose retained
/// tokens share the longest usable prefix with its own, as llama-server's slots do; ties go to the least recently
/// used stream, then the lowest. Without retention that is plain least-recently-freed order. When a running sequence's
/// stream holds at least <see cref="MinCopyTokens"/> more usable tokens than any free stream, the new sequence takes the
/// least recently used free stream and starts from a copy of that stream instead.
/// </summary>
internal sealed class KvStreamPool
{
    private readonly Dictionary<int, Retained> _free = [];
    private readonly int _fixedChunkLength;
    private long _clock;

    /// <summary>Cells a free stream holds: its tokens (positions 0 … Count − 1) and the prompt length of the sequence that computed them.</summary>
    public sealed record Retained(int[] Tokens, int NumPromptTokens, long LastUsed);

    /// <summary>Where a new sequence goes and the leading tokens it starts with; copied from running stream <see cref="SourceStream"/> when set.</summary>
    public readonly record struct Choice(int KvStream, int NumReused, int? SourceStream);

    /// <param name="numStreams">Streams 0 … numStreams − 1, all free and empty.</param>
    /// <param name="retain">Free streams keep their last sequence's cells.</param>
    /// <param name="fixedChunkLength">Prefill chunk length when chunks are fixed (deterministic mode), else 0.</param>
    public KvStreamPool(int numStreams, bool retain, int fixedChunkLength)
    {
        Retains = retain;
        _fixedChunkLength = fixedChunkLength;
        for (int stream = 0; stream < numStreams; stream++)
            _free[stream] = new Retained([], 0, _clock++);
    }

    /// <summary>
    /// Fewest more reusable tokens a running stream must offer than the best free stream to be copied: a cross-stream
    /// copy moves the whole stream's buffer, which costs about as much as computing a few tokens, so small gains are
    /// not worth it.
    /// </summary>
    public int MinCopyTokens { get; set; } = 16;

    /// <summary>True when a free stream keeps its last sequence's cells.</summary>
    public bool Retains { get; }

    public int NumFree => _free.Count;

    /// <summary>Free streams holding cells → their tokens.</summary>
    public IReadOnlyDictionary<int, int[]> RetainedTokens =>
        _free.Where(f => f.Value.Tokens.Length > 0).ToDictionary(f => f.Key, f => f.Value.Tokens);

    /// <summary>The stream for <paramref name="seq"/>: the free stream, or a running stream to copy, with the most reusable cells.</summary>
    public Choice Choose(Sequence seq, IReadOnlyList<Sequence> running)
    {
        var (stream, numReused) = ChooseFree(seq);
        if (!Retains)
            return new Choice(stream, numReused, null);
        Sequence? source = null;
        int best = numReused + MinCopyTokens - 1;
        foreach (var r in running)
        {
            int n = Reusable(seq, CommonPrefix(r.TokenIds, r.NumComputedTokens, seq.TokenIds), r.NumPromptTokens);
            if (n > best)
                (source, best) = (r, n);
        }
        return source is null ? new Choice(stream, numReused, null) : new Choice(LeastRecentlyUsed(), best, source.KvStream!.Value);
    }

    // The free stream with the most reusable leading cells for `seq`, and how many.
    private (int Stream, int NumReused) ChooseFree(Sequence seq)
    {
        int best = -1, bestReused = -1;
        long bestUsed = long.MaxValue;
        foreach (var (stream, retained) in _free)
        {
            int reused = retained.Tokens.Length == 0 ? 0
                : Reusable(seq, CommonPrefix(retained.Tokens, retained.Tokens.Length, seq.TokenIds), retained.NumPromptTokens);
            if (reused > bestReused || reused == bestReused && (retained.LastUsed < bestUsed || retained.LastUsed == bestUsed && stream < best))
                (best, bestReused, bestUsed) = (stream, reused, retained.LastUsed);
        }
        return (best, bestReused);
    }

    /// <summary>The least recently used free stream (for a fork, whose stream gets its parent's cells whatever it held).</summary>
    public int LeastRecentlyUsed() => _free.MinBy(f => (f.Value.LastUsed, f.Key)).Key;

    /// <summary>Takes <paramref name="stream"/>; returns how many cells it retained.</summary>
    public int Take(int stream)
    {
        if (!_free.Remove(stream, out var retained))
            throw new InvalidOperationException($"KV stream {stream} is not free.");
        return retained.Tokens.Length;
    }

    /// <summary>Frees <paramref name="stream"/>, retaining the first <paramref name="numRetained"/> of <paramref name="tokens"/> when streams retain.</summary>
    public void Free(int stream, IReadOnlyList<int> tokens, int numRetained, int numPromptTokens)
    {
        var kept = Retains ? tokens.Take(numRetained).ToArray() : [];
        if (!_free.TryAdd(stream, new Retained(kept, numPromptTokens, _clock++)))
            throw new InvalidOperationException($"KV stream {stream} is free already.");
    }

    /// <summary>Forgets every free stream's cells; returns the streams that held some (their cells must go).</summary>
    public IReadOnlyList<int> Clear()
    {
        var held = _free.Where(f => f.Value.Tokens.Length > 0).Select(f => f.Key).Order().ToList();
        foreach (int stream in held)
            _free[stream] = _free[stream] with { Tokens = [] };
        return held;
    }

    /// <summary>
    /// How many of the <paramref name="common"/> leading tokens that <paramref name="seq"/> shares with cells computed
    /// for a prompt of <paramref name="numPromptTokens"/> it may reuse: never its last token (it needs logits to sample);
    /// with fixed chunks only whole chunks that both sequences computed alike, so the cells and every later chunk
    /// boundary equal those of a cold run — a multiple of the chunk length within both prompts, or anything past the
    /// prompt when both prompts are the same.
    /// </summary>
    private int Reusable(Sequence seq, int common, int numPromptTokens)
    {
        int n = Math.Min(common, seq.NumTokens - 1);
        if (_fixedChunkLength == 0 || n >= seq.NumPromptTokens && numPromptTokens == seq.NumPromptTokens)
            return n;
        return Math.Min(n, Math.Min(seq.NumPromptTokens, numPromptTokens)) / _fixedChunkLength * _fixedChunkLength;
    }

    private static int CommonPrefix(IReadOnlyList<int> a, int aCount, IReadOnlyList<int> b)
    {
        int n = Math.Min(aCount, b.Count), i = 0;
        while (i < n && a[i] == b[i])
            i++;
        return i;
    }
}
