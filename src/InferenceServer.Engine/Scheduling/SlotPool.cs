namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// The free llama.cpp sequence slots and, when slots retain (per-sequence layout), the tokens each free slot's stream
/// still holds: cells 0 … n − 1 computed by the last sequence there. A new sequence takes the free slot whose retained
/// tokens share the longest usable prefix with its own, as llama-server's slots do; ties go to the least recently
/// used slot, then the lowest. Without retention that is plain least-recently-freed order.
/// </summary>
internal sealed class SlotPool
{
    private readonly Dictionary<int, Retained> _free = [];
    private long _clock;

    /// <summary>Cells a free slot holds: its tokens (positions 0 … Count − 1) and the prompt length of the sequence that computed them.</summary>
    public sealed record Retained(int[] Tokens, int NumPromptTokens, long LastUsed);

    public SlotPool(int numSlots, bool retain)
    {
        Retains = retain;
        for (int slot = 0; slot < numSlots; slot++)
            _free[slot] = new Retained([], 0, _clock++);
    }

    /// <summary>True when a free slot keeps its last sequence's cells.</summary>
    public bool Retains { get; }

    public int NumFree => _free.Count;

    /// <summary>Free slots holding cells → their tokens.</summary>
    public IReadOnlyDictionary<int, int[]> RetainedTokens =>
        _free.Where(f => f.Value.Tokens.Length > 0).ToDictionary(f => f.Key, f => f.Value.Tokens);

    /// <summary>
    /// The free slot with the most reusable leading cells for <paramref name="tokens"/>, and how many;
    /// <paramref name="usable"/> turns a common prefix length into what may be reused of it.
    /// </summary>
    public (int Slot, int NumReused) Choose(IReadOnlyList<int> tokens, Func<int, Retained, int> usable)
    {
        int best = -1, bestReused = -1;
        long bestUsed = long.MaxValue;
        foreach (var (slot, retained) in _free)
        {
            int reused = retained.Tokens.Length == 0 ? 0 : usable(CommonPrefix(retained.Tokens, tokens), retained);
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

    private static int CommonPrefix(int[] a, IReadOnlyList<int> b)
    {
        int n = Math.Min(a.Length, b.Count), i = 0;
        while (i < n && a[i] == b[i])
            i++;
        return i;
    }
}
