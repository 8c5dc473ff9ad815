using InferenceServer.Engine;
using InferenceServer.LlamaSharp;
using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>llama.cpp contexts for the raw baselines, built like the server's (<see cref="LlamaContextBuilder"/>).</summary>
internal static class BenchContexts
{
    /// <summary>
    /// A context of <paramref name="numCells"/> KV cells for <paramref name="numSequences"/> sequences with the server's
    /// parameters for <paramref name="options"/> (threads, KV layout and type, flash attention), in batches of 512.
    /// </summary>
    /// <exception cref="InvalidOperationException">llama.cpp could not create it.</exception>
    public static SafeLLamaContextHandle Create(SafeLlamaModelHandle model, int numCells, int numSequences, EngineOptions options)
    {
        var context = model.CreateContext(LlamaContextBuilder.Build(options, numCells, numSequences, batchTokens: 512));
        return context.IsInvalid ? throw new InvalidOperationException($"llama.cpp could not create a context of {numCells} cells") : context;
    }

    /// <summary>The server's engine settings with <paramref name="threads"/> llama.cpp threads and the given layout and flash attention.</summary>
    public static EngineOptions Options(int threads, bool unified = true, bool? flashAttention = null,
        KvCacheType kvCacheType = KvCacheType.F16) => new()
    {
        Threads = threads,
        KvLayout = unified ? KvLayout.Unified : KvLayout.PerSequence,
        FlashAttention = flashAttention,
        KvCacheType = kvCacheType,
    };
}
