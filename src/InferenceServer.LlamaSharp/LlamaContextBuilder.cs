using InferenceServer.Engine;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// llama.cpp context parameters from the engine's settings: the one place the server's runner and the bench's raw
/// llama.cpp loops set them, so a baseline measures the context the server runs.
/// </summary>
public static class LlamaContextBuilder
{
    /// <summary>
    /// Parameters for a context of <paramref name="numCells"/> KV cells shared by <paramref name="numSequences"/>
    /// sequence ids, whose decode calls carry up to <paramref name="batchTokens"/> tokens (computed in micro-batches of
    /// at most 512); threads, KV layout, KV type and flash attention (on unless turned off) follow <paramref name="options"/>.
    /// </summary>
    public static LLamaContextParams Build(EngineOptions options, int numCells, int numSequences, int batchTokens)
    {
        // Its defaults come from llama.cpp, which must be loaded through LLamaSharp's resolver first.
        NativeApi.llama_empty_call();
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)numCells;
        // Micro-batches of 512 however small the step's token budget: with 256, one-token decode steps were measurably
        // slower (docs/benchmarks.md, "Micro-batches of 512").
        p.n_batch = (uint)Math.Max(batchTokens, 512);
        p.n_ubatch = 512;
        p.n_seq_max = (uint)numSequences;
        // llama.cpp reserves logits rows for at least n_seq_max outputs; its cap must cover that.
        p.n_outputs_max = Math.Max(p.n_batch, p.n_seq_max);
        p.n_threads = p.n_threads_batch = options.ResolveThreads();
        // Unified: one KV pool shared by all sequences, so the paged books decide who may use how much of it, and
        // prefix-cache blocks and forks share cells; per-sequence: a stream per slot, so attention spans only a
        // sequence's own cells (see KvLayout and `bench kv-layout`).
        p.kv_unified = options.ResolveKvLayout() == KvLayout.Unified;
        p.no_perf = true;
        p.type_k = p.type_v = options.KvCacheType switch
        {
            KvCacheType.Q8_0 => GGMLType.GGML_TYPE_Q8_0,
            KvCacheType.Q4_0 => GGMLType.GGML_TYPE_Q4_0,
            _ => GGMLType.GGML_TYPE_F16,
        };
        // Explicitly on, not llama.cpp's auto mode, which left the decode step as slow as with it off (measured:
        // docs/benchmarks.md, "Measurements behind the defaults").
        return WithFlashAttention(p, options.FlashAttention ?? true);
    }

    /// <summary>Tokens one decode call of the server's runner may carry: the step's token budget, plus a whole prompt without chunked prefill.</summary>
    public static int BatchTokens(EngineOptions options, int maxModelLength) =>
        options.ChunkedPrefill ? options.MaxBatchTokens : options.MaxBatchTokens + maxModelLength;

    /// <summary><paramref name="p"/> with llama.cpp's flash attention on or off.</summary>
    public static LLamaContextParams WithFlashAttention(LLamaContextParams p, bool on)
    {
        p.llama_flash_attn_type = on
            ? LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED
            : LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        return p;
    }
}
