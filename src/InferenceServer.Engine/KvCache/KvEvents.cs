using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine.KvCache;

/// <summary>A block that just entered the prefix cache; its cells are positions Start … Start + BlockSize − 1 of <paramref name="Slot"/>.</summary>
public readonly record struct CachedBlock(int BlockId, int Slot, int Start);

/// <summary>A cached block that a sequence reuses: its cells are copied into the sequence's slot at Start ….</summary>
public readonly record struct BlockHit(int BlockId, int Start);

/// <summary>
/// Changes to llama.cpp's memory that the model runner must apply, in this order: forget evicted blocks (no
/// sequence holds them), keep newly cached blocks (before their slot goes), then drop released sequences.
/// </summary>
public sealed record KvEvents(IReadOnlyList<int> Evicted, IReadOnlyList<CachedBlock> Cached, IReadOnlyList<ReleasedSequence> Released)
{
    /// <summary>No changes.</summary>
    public static KvEvents None { get; } = new([], [], []);

    /// <summary>True when there is nothing to apply.</summary>
    public bool IsEmpty => Cached.Count == 0 && Released.Count == 0 && Evicted.Count == 0;
}
