namespace InferenceServer.Engine.KvCache;

/// <summary>A change to llama.cpp's memory decided by the books, which the model runner applies in log order.</summary>
public abstract record KvEvent;

/// <summary>A block entered the prefix cache; its cells are positions Start … Start + BlockSize − 1 of <paramref name="KvStream"/>.</summary>
public sealed record CachedBlock(int BlockId, int KvStream, int Start) : KvEvent;

/// <summary>A cached block left the prefix cache; no sequence holds it, so its cells may go.</summary>
public sealed record EvictedBlock(int BlockId) : KvEvent;

/// <summary>
/// A sequence gave back its stream: its cells from position <paramref name="NumRetainedTokens"/> on go (all of them when 0;
/// none when <paramref name="KvStream"/> is null: a preempted sequence holds no cells), and when <paramref name="Finished"/>
/// its sampler goes too. Retained cells stay in the stream for the next sequence there (per-sequence layout).
/// </summary>
public sealed record ReleasedSequence(long SequenceId, int? KvStream, bool Finished, int NumRetainedTokens = 0) : KvEvent;

/// <summary>
/// A free stream keeps only the first <paramref name="NumKept"/> of its retained cells (the prefix the sequence
/// admitted to it reuses; 0 for none): the rest go before that sequence computes anything (per-sequence layout).
/// </summary>
public sealed record TrimmedStream(int KvStream, int NumKept) : KvEvent;

/// <summary>
/// A free stream becomes a copy of the first <paramref name="NumKept"/> cells of running stream
/// <paramref name="SourceStream"/>'s stream, whatever it held (per-sequence layout). The copy must land before the step
/// decodes anything: llama.cpp copies whole streams at the start of the next decode.
/// </summary>
public sealed record CopiedStream(int SourceStream, int KvStream, int NumKept) : KvEvent;

/// <summary>A cached block that a sequence reuses: its cells are copied into the sequence's stream at Start ….</summary>
public readonly record struct BlockHit(int BlockId, int Start);

/// <summary>
/// KV changes in the order they were decided. Order matters: a block cached and evicted before the runner hears of
/// either must end up nowhere, and a block is cached from its stream before that stream is released.
/// </summary>
public sealed record KvEvents(IReadOnlyList<KvEvent> Log)
{
    /// <summary>No changes.</summary>
    public static KvEvents None { get; } = new([]);

    /// <summary>True when there is nothing to apply.</summary>
    public bool IsEmpty => Log.Count == 0;

    /// <summary>The blocks cached, in order.</summary>
    public IReadOnlyList<CachedBlock> Cached => [.. Log.OfType<CachedBlock>()];

    /// <summary>The ids of the blocks evicted, in order.</summary>
    public IReadOnlyList<int> Evicted => [.. Log.OfType<EvictedBlock>().Select(e => e.BlockId)];

    /// <summary>The sequences released, in order.</summary>
    public IReadOnlyList<ReleasedSequence> Released => [.. Log.OfType<ReleasedSequence>()];
}
