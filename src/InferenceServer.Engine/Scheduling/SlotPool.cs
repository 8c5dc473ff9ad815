using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// The free llama.cpp sequence slots and, when slots retain (per-sequence layout), the tokens each free slot's stream
/// still holds: cells 0 … n − 1 computed by the last sequence there. A new sequence takes the free slot whose retained
/// tokens share the longest usable prefix with its own, as llama-server's slots do; ties go to the least recently
/// used slot, then the lowest. Without retention that is plain least-recently-freed order. When a running sequence's
/// stream holds at least <see cref="MinCopyTokens"/> more usable tokens than any free slot, the new sequence takes the
/// least recently used free slot and starts from a copy of that stream instead.
/// </summary>
internal sealed class SlotPool
{
    private readonly Dictionary<int, Retained> _free = [];
    private readonly int _fixedChunkLength;
    private long _clock;

    /// <summary>Cells a free slot holds: its tokens (positions 0 … Count − 1) and the prompt length of the sequence that computed them.</summary>
    public sealed record Retained(int[] Tokens, int NumPromptTokens, long LastUsed);

    /// <summary>Where a new sequence goes and the leading tokens it starts with; from stream <see cref="SourceSlot"/> when ≥ 0.</summary>
    public readonly record struct Choice(int Slot, int NumReused, int SourceSlot);

    /// <param name="numSlots">Slots 0 … numSlots − 1, all free and empty.</param>
    /// <param name="retain">Free slots keep their last sequence's cells.</param>
    /// <param name="fixedChunkLength">Prefill chunk length when chunks are fixed (deterministic mode), else 0.</param>
    public SlotPool(int numSlots, bool retain, int fixedChunkLength)
    {
        Retains = retain;
        _fixedChunkLength = fixedChunkLength;
        for (int slot = 0; slot < numSlots; slot++)
            _free[slot] = new Retained([], 0, _clock++);
    }

    /// <summary>
    /// Fewest more reusable tokens a running stream must offer than the best free slot to be copied: a cross-stream
    /// copy moves the whole stream's buffer, which costs about as much as computing a few tokens, so small gains are
    /// not worth it.
    /// </summary>
    public int MinCopyTokens { get; set; } = 16;

    /// <summary>True when a free slot keeps its last sequence's cells.</summary>
    public bool Retains { get; }

    public int NumFree => _free.Count;

    /// <summary>Free slots holding cells → their tokens.</summary>
    public IReadOnlyDictionary<int, int[]> RetainedTokens =>
        _free.Where(f => f.Value.Tokens.Length > 0).ToDictionary(f => f.Key, f => f.Value.Tokens);

    /// <summary>The slot for <paramref name="seq"/>: the free slot, or a running stream to copy, with the most reusable cells.</summary>
    public Choice Choose(Sequence seq, IReadOnlyList<Sequence> running)
    {
        var (slot, numReused) = ChooseFree(seq);
        if (!Retains)
            return new Choice(slot, numReused, -1);
        Sequence? source = null;
        int best = numReused + MinCopyTokens - 1;
        foreach (var r in running)
        {
            int n = Reusable(seq, CommonPrefix(r.TokenIds, r.NumComputedTokens, seq.TokenIds), r.NumPromptTokens);
            if (n > best)
                (source, best) = (r, n);
        }
        return source is null ? new Choice(slot, numReused, -1) : new Choice(LeastRecentlyUsed(), best, source.Slot);
    }

    // The free slot with the most reusable leading cells for `seq`, and how many.
    private (int Slot, int NumReused) ChooseFree(Sequence seq)
    {
        int best = -1, bestReused = -1;
        long bestUsed = long.MaxValue;
        foreach (var (slot, retained) in _free)
        {
            int reused = retained.Tokens.Length == 0 ? 0
                : Reusable(seq, CommonPrefix(retained.Tokens, retained.Tokens.Length, seq.TokenIds), retained.NumPromptTokens);
            if (reused > bestReused || reused == bestReused && (retained.LastUsed < bestUsed || retained.LastUsed == bestUsed && slot < best))
                (best, bestReused, bestUsed) = (slot, reused, retained.LastUsed);
        }
        return (best, bestReused);
    }

    /// <summary>The least recently used free slot (for a fork, whose slot gets its parent's cells whatever it held).</summary>
    public int LeastRecentlyUsed() => _free.MinBy(f => (f.Value.LastUsed, f.Key)).Key;

    /// <summary>Takes <paramref name="slot"/>; returns how many cells it retained.</summary>
    public int Take(int slot)
    {
        if (!_free.Remove(slot, out var retained))
            throw new InvalidOperationException($"Slot {slot} is not free.");
        return retained.Tokens.Length;
    }

    /// <summary>Frees <paramref name="slot"/>, retaining the first <paramref name="numRetained"/> of <paramref name="tokens"/> when slots retain.</summary>
    public void Free(int slot, IReadOnlyList<int> tokens, int numRetained, int numPromptTokens)
    {
        var kept = Retains ? tokens.Take(numRetained).ToArray() : [];
        if (!_free.TryAdd(slot, new Retained(kept, numPromptTokens, _clock++)))
            throw new InvalidOperationException($"Slot {slot} is free already.");
    }

    /// <summary>Forgets every free slot's cells; returns the slots that held some (their cells must go).</summary>
    public IReadOnlyList<int> Clear()
    {
        var held = _free.Where(f => f.Value.Tokens.Length > 0).Select(f => f.Key).Order().ToList();
        foreach (int slot in held)
            _free[slot] = _free[slot] with { Tokens = [] };
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
