using System.ComponentModel.DataAnnotations;

namespace InferenceServer.Engine;

/// <summary>
/// Engine configuration, bound from the <c>Engine</c> configuration section.
/// The KV cache holds <see cref="NumBlocks"/> × <see cref="BlockSize"/> token cells in one llama.cpp context.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Engine";

    /// <summary>Most sequences decoding at once (llama.cpp <c>n_seq_max</c>). Default 16.</summary>
    [Range(1, 256)]
    public int MaxSequences { get; set; } = 16;

    /// <summary>Tokens per KV block. Default 16.</summary>
    [Range(1, 1024)]
    public int BlockSize { get; set; } = 16;

    /// <summary>
    /// KV blocks in the pool. 0 (default) sizes the pool to the model's training context, capped at
    /// <see cref="DefaultMaxKvTokens"/> tokens.
    /// </summary>
    [Range(0, 1 << 20)]
    public int NumBlocks { get; set; }

    /// <summary>Most choices per request (OpenAI <c>n</c>); each choice is a sequence. Default 8.</summary>
    [Range(1, 256)]
    public int MaxN { get; set; } = 8;

    /// <summary>
    /// Token budget of one step: decode tokens plus prefill chunks (llama.cpp <c>n_batch</c>). Default 256: on a CPU a
    /// smaller chunk keeps running streams' inter-token latency down at the same long-prompt TTFT (measured:
    /// docs/benchmarks.md, "Measurements behind the defaults").
    /// </summary>
    [Range(1, 65536)]
    public int MaxBatchTokens { get; set; } = 256;

    /// <summary>Requests allowed to wait for admission; one more is refused with 429. Default 256.</summary>
    [Range(0, 1_000_000)]
    public int MaxWaiting { get; set; } = 256;

    /// <summary>
    /// CPU threads llama.cpp uses for decode. 0 (default) leaves one core to the server: processor count − 1, at least
    /// 1. llama.cpp's worker threads spin at a barrier, so when the engine thread, detokenizing and HTTP writes take a
    /// core from one of them the whole decode waits (measured: docs/benchmarks.md, "Measurements behind the defaults").
    /// </summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>
    /// KV cache element type: F16 (default), Q8_0 or Q4_0 (configuration accepts <c>f16</c>, <c>q8_0</c>, <c>q4_0</c>).
    /// Quantized types turn on llama.cpp's flash attention, which a quantized V cache needs.
    /// </summary>
    public KvCacheType KvCacheType { get; set; } = KvCacheType.F16;

    /// <summary>
    /// llama.cpp flash attention. Null (default): on (required for quantized KV types), falling back to off for a model
    /// llama.cpp cannot run it on. It skips other sequences' masked cells, which makes a served decode step with many
    /// sequences faster in the unified layout (measured: docs/benchmarks.md, "Measurements behind the defaults"); its
    /// rounding depends on the batch, so <see cref="Deterministic"/> is the mode for bit-equal outputs under load. False
    /// turns it off.
    /// </summary>
    public bool? FlashAttention { get; set; }

    /// <summary>llama.cpp's KV layout: <see cref="KvLayout.Unified"/> (default) or <see cref="KvLayout.PerSequence"/>.</summary>
    public KvLayout KvLayout { get; set; } = KvLayout.Unified;

    /// <summary>
    /// Batch-invariant mode: a greedy or seeded request gives the same tokens, to the bit, alone and under any load.
    /// llama.cpp's CPU kernels are not batch-invariant (a row's result depends on the batch's shape and on where its
    /// cells sit), so this mode makes every computation of a sequence independent of the others: the per-sequence
    /// layout (its own cells at the same indices whatever else runs; a free KV stream's cells are reused only in whole prefill
    /// chunks that a cold run computes alike), one <c>llama_decode</c> per
    /// sequence per step, and prefill chunks at fixed boundaries (the prompt in chunks of <see cref="MaxBatchTokens"/>
    /// from position 0, then one token per step, a recompute after preemption included). Aggregate throughput drops to
    /// about that of one stream. Default off.
    /// </summary>
    public bool Deterministic { get; set; }

    /// <summary>The layout in effect: <see cref="KvLayout.PerSequence"/> in <see cref="Deterministic"/> mode, else <see cref="KvLayout"/>.</summary>
    public KvLayout ResolveKvLayout() => Deterministic ? KvLayout.PerSequence : KvLayout;

    /// <summary>
    /// Cells of one sequence's stream in the <see cref="KvLayout.PerSequence"/> layout: the pool's tokens split over
    /// <see cref="MaxSequences"/>, rounded down to a multiple of 256 (llama.cpp pads each stream to 256 cells).
    /// </summary>
    public int StreamTokens(int numBlocks) => numBlocks * BlockSize / MaxSequences / StreamPadding * StreamPadding;

    /// <summary>Cells llama.cpp pads each per-sequence stream to.</summary>
    public const int StreamPadding = 256;

    /// <summary>
    /// Reuse computed prompt prefixes across requests: cached full blocks in the unified layout (automatic prefix
    /// caching), a free KV stream's retained cells in the per-sequence layout. Default on.
    /// </summary>
    public bool PrefixCaching { get; set; } = true;

    /// <summary>
    /// Cached prompt blocks kept while no request uses them; -1 (default) keeps up to a quarter of the pool. Each one
    /// costs attention work in llama.cpp's unified KV cache, so more is not always better; blocks that never served a
    /// second request are held to a smaller, load-dependent budget (see KvCacheManager.MinIdleUnusedBlocks).
    /// </summary>
    [Range(-1, 1 << 20)]
    public int PrefixCacheIdleBlocks { get; set; } = -1;

    /// <summary>Prefill long prompts in chunks within the token budget so running streams keep decoding. Default on.</summary>
    public bool ChunkedPrefill { get; set; } = true;

    /// <summary>Seed of the generator that picks a sampling seed for requests without one; null seeds from the clock.</summary>
    public int? Seed { get; set; }

    /// <summary>Upper bound for the automatic KV size (tokens) when <see cref="NumBlocks"/> is 0.</summary>
    public const int DefaultMaxKvTokens = 8192;

    /// <summary>Number of KV blocks for a model trained on <paramref name="trainedContextTokens"/> tokens.</summary>
    public int ResolveNumBlocks(int trainedContextTokens)
    {
        if (NumBlocks > 0)
            return NumBlocks;
        int tokens = Math.Min(trainedContextTokens > 0 ? trainedContextTokens : DefaultMaxKvTokens, DefaultMaxKvTokens);
        return Math.Max(1, tokens / BlockSize);
    }

    /// <summary>Thread count for llama.cpp: <see cref="Threads"/>, or processor count − 1 (at least 1) when 0.</summary>
    public int ResolveThreads() => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount - 1);
}
