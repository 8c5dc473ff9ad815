using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.ModelGeneration;
using LLama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Loads the configured GGUF (or makes the demo model), then creates one llama.cpp context with a unified KV cache
/// of NumBlocks × BlockSize cells for up to MaxSequences sequences, and wraps it in a <see cref="LlamaModelRunner"/>,
/// returned with the model's tokenizer, chat template and grammar check (<see cref="LlamaModelHost.Served"/>).
/// </summary>
public sealed partial class LlamaModelRunnerFactory : IModelRunnerFactory
{
    private readonly LlamaModelHost _host;
    private readonly ModelOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates the factory.</summary>
    public LlamaModelRunnerFactory(LlamaModelHost host, IOptions<ModelOptions> options, ILoggerFactory loggerFactory)
    {
        _host = host;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LlamaModelRunnerFactory>();
    }

    /// <inheritdoc />
    public Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => Create(options), cancellationToken);

    private LoadedModel Create(EngineOptions options)
    {
        LlamaNativeSetup.Configure(_loggerFactory);
        string path = _host.IsDemo ? MakeDemoModel() : Path.GetFullPath(_options.Path!);
        Log.Loading(_logger, _host.ModelId, path);
        _host.Load(path);

        var model = _host.Weights.NativeHandle;
        int numBlocks = options.ResolveNumBlocks(model.ContextSize);
        bool perSequence = options.ResolveKvLayout() == KvLayout.PerSequence;
        int streamTokens = perSequence ? options.StreamTokens(numBlocks) : numBlocks * options.BlockSize;
        if (streamTokens == 0)
            throw new InvalidOperationException(
                $"Engine:KvLayout=PerSequence gives each of {options.MaxSequences} sequences {numBlocks * options.BlockSize / options.MaxSequences} " +
                $"cells, less than llama.cpp's stream of {EngineOptions.StreamPadding}. Raise Engine:NumBlocks or lower Engine:MaxSequences.");
        if (perSequence)
            numBlocks = streamTokens * options.MaxSequences / options.BlockSize;
        int kvTokens = numBlocks * options.BlockSize;
        int maxModelLength = Math.Min(model.ContextSize > 0 ? model.ContextSize : streamTokens, streamTokens);

        int headSize = model.HeadCount > 0 ? model.EmbeddingSize / model.HeadCount : 0;
        // ggml's quantized types pack 32 elements per block; llama.cpp refuses KV rows that split a block.
        if (options.KvCacheType.IsQuantized() && headSize % 32 != 0)
            throw new InvalidOperationException(
                $"Engine:KvCacheType={options.KvCacheType.ToString().ToLowerInvariant()} needs a head size divisible by 32; " +
                $"model {_host.ModelId} has head size {headSize}. Use Engine:KvCacheType=f16 for this model.");

        // Cache holders: sequence ids above the running slots that keep prefix-cache cells (see LlamaModelRunner).
        // They share cells with running sequences, which only one unified pool allows; per-sequence streams reuse a
        // prefix from the cells a free slot retains instead (see Scheduler).
        int cacheHolders = options.PrefixCaching && !perSequence ? (int)NativeApi.llama_max_parallel_sequences() - options.MaxSequences : 0;
        // A quantized V cache needs llama.cpp's flash attention.
        if (options.KvCacheType.IsQuantized() && options.FlashAttention == false)
            throw new InvalidOperationException("A quantized Engine:KvCacheType needs Engine:FlashAttention (llama.cpp's quantized V cache).");
        // Without chunked prefill a whole prompt goes into one decode call next to the step's decode tokens.
        var p = LlamaContextBuilder.Build(options, kvTokens, options.MaxSequences + cacheHolders, LlamaContextBuilder.BatchTokens(options, maxModelLength));
        bool flash = options.FlashAttention ?? true;
        var context = model.CreateContext(p);
        if (context.IsInvalid && flash && options.FlashAttention is null && !options.KvCacheType.IsQuantized())
        {
            // A model whose attention llama.cpp cannot run flash: the default falls back to the plain path.
            Log.NoFlashAttention(_logger, _host.ModelId);
            context = model.CreateContext(LlamaContextBuilder.WithFlashAttention(p, false));
        }
        if (context.IsInvalid)
            throw new InvalidOperationException(
                $"llama.cpp could not create a context of {kvTokens} KV tokens for {options.MaxSequences + cacheHolders} sequences " +
                "(out of memory?). Lower Engine:NumBlocks or Engine:BlockSize.");
        WarmUp(context);

        var eog = new HashSet<int>();
        for (int t = 0; t < _host.Tokenizer.VocabSize; t++)
            if (((LLamaToken)t).IsEndOfGeneration(model.Vocab))
                eog.Add(t);
        var shape = new KvCacheShape(model.LayerCount, model.HeadCount, model.KVHeadCount, headSize, options.KvCacheType, kvTokens);
        var info = new ModelInfo(maxModelLength, _host.Tokenizer.VocabSize, eog, numBlocks, cacheHolders, shape);
        Log.Loaded(_logger, _host.ModelId, model.ParameterCount, model.LayerCount, numBlocks, options.BlockSize,
            maxModelLength, options.ResolveThreads(), _host.Chat.Kind, _host.Chat.ToolCallFormat);
        if (_host.Chat.TemplateError is { } templateError)
            Log.TemplateFallback(_logger, _host.ModelId, _host.Chat.Kind, templateError);
        return new LoadedModel(
            new LlamaModelRunner(context, info, options.MaxSequences, options.BlockSize, perSequence, decodeAlone: options.Deterministic),
            _host.Served);
    }

    // One decode before the first request, as llama.cpp's own tools do: the weights are paged in and the compute
    // buffers are touched here rather than in the first user's time to first token. Its cell is removed at once.
    private static void WarmUp(SafeLLamaContextHandle context)
    {
        var batch = new LLamaBatch();
        batch.Add((LLamaToken)0, (LLamaPos)0, (LLamaSeqId)0, true);
        context.Decode(batch);
        context.MemorySequenceRemove((LLamaSeqId)0, (LLamaPos)(-1), (LLamaPos)(-1));
    }

    private string MakeDemoModel()
    {
        string dir = _options.ResolveDataDirectory();
        Log.DemoModel(_logger, dir);
        return DemoModel.Ensure(dir);
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Information, "Loading model {ModelId} from {Path}")]
        public static partial void Loading(ILogger logger, string modelId, string path);

        [LoggerMessage(2001, LogLevel.Information, "Model {ModelId} ready: {NumParameters} parameters, {NumLayers} layers; KV cache {NumBlocks} blocks × {BlockSize} tokens; max model length {MaxModelLength}; {Threads} threads; chat template: {ChatTemplate}, tool calls: {ToolCallFormat}")]
        public static partial void Loaded(ILogger logger, string modelId, ulong numParameters, int numLayers, int numBlocks,
            int blockSize, int maxModelLength, int threads, ChatTemplateKind chatTemplate, Engine.Tools.ToolCallFormat toolCallFormat);

        [LoggerMessage(2004, LogLevel.Warning, "Model {ModelId}: the Jinja engine cannot parse the chat template ({Reason}); prompts use the {ChatTemplate} format instead")]
        public static partial void TemplateFallback(ILogger logger, string modelId, ChatTemplateKind chatTemplate, string reason);

        [LoggerMessage(2005, LogLevel.Warning, "Model {ModelId}: llama.cpp could not create a context with flash attention; running without it")]
        public static partial void NoFlashAttention(ILogger logger, string modelId);

        [LoggerMessage(2002, LogLevel.Warning, "No Model:Path given: serving the built-in demo model (random weights, its output is gibberish by design), cached in {DataDirectory}. To serve a real model: --Model:Path=/path/to/model.gguf (or env Model__Path)")]
        public static partial void DemoModel(ILogger logger, string dataDirectory);
    }
}
