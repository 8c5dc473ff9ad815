using LLama;
using LLama.Common;
using Microsoft.Extensions.Options;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The loaded GGUF model: weights, tokenizer and chat formatter, shared by the runner (engine thread) and serving
/// (as <see cref="Served"/>). <see cref="ModelId"/> is known before the model loads.
/// </summary>
public sealed class LlamaModelHost : IDisposable
{
    private readonly ModelOptions _options;
    private volatile Parts? _loaded;

    /// <summary>Creates the host; <see cref="Load"/> loads the model.</summary>
    public LlamaModelHost(IOptions<ModelOptions> options)
    {
        _options = options.Value;
        // Before anything loads llama.cpp (generating the demo model does).
        if (!string.IsNullOrWhiteSpace(_options.NativeLibrary))
            LlamaNativeSetup.UseLibrary(_options.NativeLibrary);
        IsDemo = string.IsNullOrWhiteSpace(_options.Path);
        ModelId = !string.IsNullOrWhiteSpace(_options.Id) ? _options.Id!
            : IsDemo ? DemoModelId
            : Path.GetFileNameWithoutExtension(_options.Path!);
    }

    /// <summary>Id of the built-in demo model.</summary>
    public const string DemoModelId = "inference-server-demo";

    /// <summary>Id served by /v1/models.</summary>
    public string ModelId { get; }
    /// <summary>The model's name for serving, known before it loads.</summary>
    public ModelCard Card => new(ModelId);
    /// <summary>True when serving the built-in demo model (random weights: gibberish output).</summary>
    public bool IsDemo { get; }
    /// <summary>True once <see cref="Load"/> finished.</summary>
    public bool IsLoaded => _loaded is not null;
    /// <summary>Seconds since the Unix epoch when the model finished loading (OpenAI <c>created</c>).</summary>
    public long CreatedUnixSeconds { get; private set; }

    /// <summary>The tokenizer.</summary>
    /// <exception cref="InvalidOperationException">The model is not loaded yet.</exception>
    public LlamaTokenizer Tokenizer => Loaded.Tokenizer;
    /// <summary>The chat-template formatter.</summary>
    /// <exception cref="InvalidOperationException">The model is not loaded yet.</exception>
    public ChatPromptFormatter Chat => Loaded.Chat;
    /// <summary>Tokenizer, chat template and grammar check as serving sees them.</summary>
    /// <exception cref="InvalidOperationException">The model is not loaded yet.</exception>
    public ServedModel Served => Loaded.Served;
    /// <summary>The weights.</summary>
    /// <exception cref="InvalidOperationException">The model is not loaded yet.</exception>
    public LLamaWeights Weights => Loaded.Weights;

    private Parts Loaded => _loaded ?? throw new InvalidOperationException("The model is not loaded yet.");

    /// <summary>Loads the GGUF at <paramref name="path"/> (call once).</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidOperationException">Model:NativeLibrary names a llama.cpp of another API version.</exception>
    /// <exception cref="LLama.Exceptions.LoadWeightsFailedException">llama.cpp could not load it.</exception>
    public void Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file not found: {path}", path);
        LlamaNativeSetup.EnsureRegistered();
        LlamaNativeSetup.CheckLibrary();
        var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = _options.GpuLayerCount });
        var tokenizer = new LlamaTokenizer(weights.NativeHandle);
        var chat = new ChatPromptFormatter(weights.NativeHandle);
        CreatedUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var served = new ServedModel(tokenizer, chat, new LlamaGrammarChecker(weights.NativeHandle), CreatedUnixSeconds);
        _loaded = new Parts(weights, tokenizer, chat, served);
    }

    /// <inheritdoc />
    public void Dispose() => _loaded?.Weights.Dispose();

    private sealed record Parts(LLamaWeights Weights, LlamaTokenizer Tokenizer, ChatPromptFormatter Chat, ServedModel Served);
}
