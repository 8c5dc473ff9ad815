using InferenceServer.Engine;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>The one place llama.cpp context parameters come from, for the server's runner and the bench's raw loops.</summary>
public sealed class LlamaContextBuilderTests
{
    [Fact]
    public void Defaults_give_a_unified_f16_context_with_flash_attention_and_micro_batches_of_512()
    {
        var p = LlamaContextBuilder.Build(new EngineOptions { Threads = 3 }, numCells: 4096, numSequences: 20, batchTokens: 1024);

        Assert.Equal((4096u, 1024u, 512u, 20u, 1024u), (p.n_ctx, p.n_batch, p.n_ubatch, p.n_seq_max, p.n_outputs_max));
        Assert.Equal((3, 3), (p.n_threads, p.n_threads_batch));
        Assert.True(p.kv_unified);
        Assert.True(p.no_perf);
        Assert.Equal((GGMLType.GGML_TYPE_F16, GGMLType.GGML_TYPE_F16), (p.type_k, p.type_v));
        Assert.Equal(LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED, p.llama_flash_attn_type);
    }

    [Fact]
    public void Settings_reach_the_parameters_and_outputs_cover_every_sequence()
    {
        var options = new EngineOptions { Threads = 1, KvLayout = KvLayout.PerSequence, KvCacheType = KvCacheType.Q8_0, FlashAttention = false };

        var p = LlamaContextBuilder.Build(options, numCells: 2048, numSequences: 64, batchTokens: 16);

        // A small step budget still gets micro-batches of 512 (one-token steps are slower with smaller ones).
        Assert.Equal((512u, 512u, 512u), (p.n_batch, p.n_ubatch, p.n_outputs_max));
        var many = LlamaContextBuilder.Build(options, numCells: 2048, numSequences: 600, batchTokens: 16);
        Assert.Equal(600u, many.n_outputs_max);
        Assert.False(p.kv_unified);
        Assert.Equal((GGMLType.GGML_TYPE_Q8_0, GGMLType.GGML_TYPE_Q8_0), (p.type_k, p.type_v));
        Assert.Equal(LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED, p.llama_flash_attn_type);
        // Deterministic mode runs the per-sequence layout whatever KvLayout says.
        Assert.False(LlamaContextBuilder.Build(new EngineOptions { Deterministic = true }, 2048, 4, 16).kv_unified);
    }

    [Fact]
    public void Without_chunked_prefill_a_decode_call_carries_a_whole_prompt_beside_the_budget()
    {
        Assert.Equal(256, LlamaContextBuilder.BatchTokens(new EngineOptions { MaxBatchTokens = 256 }, maxModelLength: 4096));
        Assert.Equal(256 + 4096, LlamaContextBuilder.BatchTokens(new EngineOptions { MaxBatchTokens = 256, ChunkedPrefill = false }, 4096));
    }
}
