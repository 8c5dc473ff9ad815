namespace InferenceServer.Engine.Sequences;

/// <summary>
/// One generation stream: prompt tokens, generated tokens and the KV bookkeeping the scheduler needs.
/// Owned by the engine thread; nothing else reads or writes it.
/// </summary>
/// <remarks>
/// Invariant: <c>NumComputedTokens ≤ NumTokens</c>; the tokens in <c>[NumComputedTokens, NumTokens)</c> still
/// have to be fed to the model. While decoding that is exactly the last sampled token; after a preemption it is
/// every token (prompt plus output), which is recomputed.
/// </remarks>
public sealed class Sequence
{
    private readonly List<int> _tokenIds;
    private readonly List<int> _blockTable = [];
    private readonly List<ulong> _blockHashes = [];

    /// <summary>Creates a waiting sequence.</summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    /// <param name="sequenceId">Engine-wide unique id.</param>
    /// <param name="promptTokenIds">Prompt tokens (at least one).</param>
    /// <param name="sampling">Sampling settings.</param>
    /// <param name="arrivalTime">When the request arrived.</param>
    /// <param name="choiceIndex">Which of a request's n choices this sequence produces (OpenAI <c>index</c>).</param>
    public Sequence(long sequenceId, IReadOnlyList<int> promptTokenIds, SamplingParams sampling, DateTimeOffset arrivalTime,
        int choiceIndex = 0)
    {
        ChoiceIndex = choiceIndex;
        if (promptTokenIds.Count == 0)
            throw new ArgumentException("A sequence needs at least one prompt token.", nameof(promptTokenIds));
        SequenceId = sequenceId;
        _tokenIds = [.. promptTokenIds];
        NumPromptTokens = promptTokenIds.Count;
        Sampling = sampling;
        ArrivalTime = arrivalTime;
    }

    /// <summary>Engine-wide unique id.</summary>
    public long SequenceId { get; }
    /// <summary>Which of the request's choices this is (0 for the sequence that prefills the prompt).</summary>
    public int ChoiceIndex { get; }
    /// <summary>
    /// The other choices of an n &gt; 1 request until they fork from this one: they hold streams and blocks from
    /// admission on, and start decoding once this sequence has prefilled the prompt.
    /// </summary>
    public IReadOnlyList<Sequence> PendingForks => _pendingForks;
    private readonly List<Sequence> _pendingForks = [];
    internal List<Sequence> MutablePendingForks => _pendingForks;
    /// <summary>Sampling settings.</summary>
    public SamplingParams Sampling { get; }
    /// <summary>When the request reached the engine.</summary>
    public DateTimeOffset ArrivalTime { get; }
    /// <summary>When the sequence was first admitted (its queue time ends); null before.</summary>
    public DateTimeOffset? FirstScheduledTime { get; private set; }
    /// <summary>When the first output token was sampled; null before.</summary>
    public DateTimeOffset? FirstTokenTime { get; private set; }
    /// <summary>Current status.</summary>
    public SequenceStatus Status { get; private set; } = SequenceStatus.Waiting;
    /// <summary>Prompt then output token ids.</summary>
    public IReadOnlyList<int> TokenIds => _tokenIds;
    /// <summary>Prompt length in tokens.</summary>
    public int NumPromptTokens { get; }
    /// <summary>Prompt plus output length in tokens.</summary>
    public int NumTokens => _tokenIds.Count;
    /// <summary>Generated tokens so far.</summary>
    public int NumOutputTokens => _tokenIds.Count - NumPromptTokens;
    /// <summary>Tokens whose KV entries are in the cache.</summary>
    public int NumComputedTokens { get; private set; }
    /// <summary>Prompt tokens served from the prefix cache at first admission (re-admissions after preemption don't count).</summary>
    public int NumCachedTokens { get; private set; }
    /// <summary>Block ids holding this sequence's KV, in token order (token i lives in block i / block size).</summary>
    public IReadOnlyList<int> BlockTable => _blockTable;
    /// <summary>
    /// The engine's KV stream holding this sequence's cells while it holds blocks (running, or a reserved fork); null
    /// otherwise. Streams are the KV books' (see <see cref="Scheduling.KvStreamPool"/>); the runner maps each to its own
    /// llama.cpp sequence id.
    /// </summary>
    public int? KvStream { get; private set; }
    /// <summary>Times this sequence was preempted.</summary>
    public int NumPreemptions { get; private set; }
    /// <summary>True once the status is one of the finished ones.</summary>
    public bool IsFinished => Status >= SequenceStatus.FinishedStopped;
    /// <summary>Tokens still to feed to the model.</summary>
    public int NumUncomputedTokens => NumTokens - NumComputedTokens;

    internal List<int> MutableBlockTable => _blockTable;

    /// <summary>Leading blocks already offered to the prefix cache since the last (re)admission.</summary>
    internal int NumCachedBlockChecks { get; set; }

    /// <summary>Chained content hash of full block <paramref name="index"/> (computed once; token ids never change).</summary>
    internal ulong GetBlockHash(int index, int blockSize)
    {
        for (int i = _blockHashes.Count; i <= index; i++)
        {
            var tokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokenIds).Slice(i * blockSize, blockSize);
            _blockHashes.Add(KvCache.BlockHasher.Hash(i == 0 ? null : _blockHashes[i - 1], tokens));
        }
        return _blockHashes[index];
    }

    /// <summary>Waiting/Preempted → Running on admission to KV stream <paramref name="stream"/> at <paramref name="now"/>.</summary>
    internal void Admit(int stream, DateTimeOffset now)
    {
        Expect(Status is SequenceStatus.Waiting or SequenceStatus.Preempted, "admit");
        Status = SequenceStatus.Running;
        KvStream = stream;
        FirstScheduledTime ??= now;
    }

    /// <summary>Running → Waiting for a fork child whose parent lost its reservation (it never ran).</summary>
    internal void Unreserve()
    {
        Expect(Status == SequenceStatus.Running && NumComputedTokens == 0, "unreserve");
        Status = SequenceStatus.Waiting;
        KvStream = null;
    }

    /// <summary>Running → Preempted: KV is gone, everything will be recomputed.</summary>
    internal void Preempt()
    {
        Expect(Status == SequenceStatus.Running, "preempt");
        Status = SequenceStatus.Preempted;
        KvStream = null;
        NumComputedTokens = 0;
        NumPreemptions++;
    }

    /// <summary>Any non-finished status → a finished one.</summary>
    internal void Finish(SequenceStatus finishedStatus)
    {
        Expect(!IsFinished && finishedStatus >= SequenceStatus.FinishedStopped, "finish");
        Status = finishedStatus;
        KvStream = null;
    }

    /// <summary>Records that <paramref name="count"/> more tokens were computed this step.</summary>
    internal void AddComputedTokens(int count)
    {
        if (count < 0 || NumComputedTokens + count > NumTokens)
            throw new InvalidOperationException($"Sequence {SequenceId}: cannot compute {count} more tokens.");
        NumComputedTokens += count;
    }

    /// <summary>Marks the first <paramref name="count"/> tokens as served from the prefix cache.</summary>
    internal void SetCachedTokens(int count)
    {
        if (NumPreemptions == 0)
            NumCachedTokens = Math.Min(count, NumPromptTokens);
        NumComputedTokens = count;
    }

    /// <summary>Appends a sampled token.</summary>
    internal void AppendToken(int tokenId, DateTimeOffset now)
    {
        _tokenIds.Add(tokenId);
        FirstTokenTime ??= now;
    }

    private void Expect(bool condition, string transition)
    {
        if (!condition)
            throw new InvalidOperationException($"Sequence {SequenceId}: cannot {transition} from {Status}.");
    }
}
