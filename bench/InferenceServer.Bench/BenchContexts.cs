using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>llama.cpp contexts for the in-process baselines, set up like the server's unless told otherwise.</summary>
internal static class BenchContexts
{
    /// <summary>
    /// A context of <paramref name="numCells"/> KV cells for <paramref name="numSequences"/> sequences, batches of 512,
    /// f16 KV with flash attention off (the server's defaults).
    /// </summary>
    /// <exception cref="InvalidOperationException">llama.cpp could not create it.</exception>
    public static SafeLLamaContextHandle Create(SafeLlamaModelHandle model, int numCells, int numSequences, int threads,
        bool unified = true, GGMLType kvType = GGMLType.GGML_TYPE_F16, bool flashAttention = false)
    {
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)numCells;
        p.n_batch = p.n_ubatch = 512;
        p.n_seq_max = (uint)numSequences;
        p.n_outputs_max = Math.Max(p.n_batch, p.n_seq_max);
        p.kv_unified = unified;
        p.n_threads = p.n_threads_batch = threads;
        p.type_k = p.type_v = kvType;
        p.llama_flash_attn_type = flashAttention
            ? LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED
            : LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        p.no_perf = true;
        var context = model.CreateContext(p);
        return context.IsInvalid ? throw new InvalidOperationException($"llama.cpp could not create a context of {numCells} cells") : context;
    }
}
