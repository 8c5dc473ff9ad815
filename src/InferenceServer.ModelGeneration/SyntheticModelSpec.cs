using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// Shape of a synthetic Llama-architecture model (GQA attention with RoPE, SwiGLU FFN, RMSNorm) written by
/// <see cref="SyntheticModelWriter"/>. Hyper-parameters map 1:1 onto llama.cpp's <c>llama.*</c> GGUF keys.
/// </summary>
/// <param name="Name">Model name (<c>general.name</c>); also used in cache file names, so keep it file-name safe.</param>
/// <param name="VocabSize">Number of tokens, at least 512 (special + 256 byte tokens + text pieces).</param>
/// <param name="EmbeddingLength">Hidden size n_embd; must be divisible by <paramref name="HeadCount"/>.</param>
/// <param name="LayerCount">Number of transformer blocks.</param>
/// <param name="HeadCount">Query heads; the head size is n_embd / HeadCount and must be even (RoPE).</param>
/// <param name="KvHeadCount">Key/value heads for grouped-query attention; must divide <paramref name="HeadCount"/>.</param>
/// <param name="FeedForwardLength">SwiGLU inner size n_ff.</param>
/// <param name="ContextLength">Training context length (<c>llama.context_length</c>) in tokens.</param>
/// <param name="WeightType">Storage type of the weight matrices.</param>
public sealed record SyntheticModelSpec(
    string Name,
    int VocabSize,
    int EmbeddingLength,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    int FeedForwardLength,
    int ContextLength,
    SyntheticWeightType WeightType)
{
    /// <summary>
    /// About 1.1M parameters (the 8192 x 64 token embedding and output matrices dominate): vocab 8192,
    /// n_embd 64, 2 layers, 4 heads / 2 KV heads, n_ff 192, context 4096, F16. Fast enough for unit tests.
    /// </summary>
    public static SyntheticModelSpec Tiny { get; } = new("synthetic-tiny", 8192, 64, 2, 4, 2, 192, 4096, SyntheticWeightType.F16);

    /// <summary>The model served in demo mode; currently the same as <see cref="Tiny"/>.</summary>
    public static SyntheticModelSpec Demo => Tiny;

    /// <summary>About 26M parameters: vocab 8192, n_embd 512, 6 layers, 8 heads / 2 KV heads, n_ff 1536, F16.</summary>
    public static SyntheticModelSpec Small { get; } = new("synthetic-small", 8192, 512, 6, 8, 2, 1536, 4096, SyntheticWeightType.F16);

    /// <summary>About 110M parameters: vocab 32000, n_embd 768, 12 layers, 12 heads / 4 KV heads, n_ff 1536, F16.</summary>
    public static SyntheticModelSpec Base { get; } = new("synthetic-base", 32000, 768, 12, 12, 4, 1536, 4096, SyntheticWeightType.F16);

    /// <summary>RoPE base frequency (<c>llama.rope.freq_base</c>).</summary>
    public float RopeFreqBase { get; init; } = 10000f;

    /// <summary>RMSNorm epsilon (<c>llama.attention.layer_norm_rms_epsilon</c>).</summary>
    public float RmsNormEpsilon { get; init; } = 1e-5f;

    /// <summary>
    /// The Jinja chat template written as <c>tokenizer.chat_template</c>; null writes the standard ChatML template.
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// Special tokens of the vocabulary, with BOS and the end-of-generation tokens; by default
    /// <see cref="SyntheticSpecialTokens.ChatMl"/>. <see cref="SyntheticTemplateCatalog"/> gives the set a real
    /// chat template needs.
    /// </summary>
    public SyntheticSpecialTokens SpecialTokens { get; init; } = SyntheticSpecialTokens.ChatMl;

    /// <summary>
    /// A model of <paramref name="shape"/> (default <see cref="Tiny"/>) carrying the chat template
    /// <paramref name="templateText"/> and the special tokens of the model it belongs to (see
    /// <see cref="SyntheticTemplateCatalog"/>), named <c>synthetic-{templateName}</c>.
    /// </summary>
    /// <param name="templateName">File name of the template without <c>.jinja</c>, e.g. <c>Qwen-Qwen3-0.6B</c>.</param>
    /// <param name="templateText">The Jinja source.</param>
    /// <param name="shape">Hyper-parameters to keep; its name, template and special tokens are replaced.</param>
    /// <exception cref="ArgumentException">The template is not catalogued.</exception>
    public static SyntheticModelSpec ForTemplate(string templateName, string templateText, SyntheticModelSpec? shape = null) =>
        (shape ?? Tiny) with
        {
            Name = "synthetic-" + templateName,
            ChatTemplate = templateText,
            SpecialTokens = SyntheticTemplateCatalog.SpecialTokensFor(templateName),
        };

    /// <summary>Per-head size (also <c>llama.rope.dimension_count</c>).</summary>
    public int HeadDimension => EmbeddingLength / HeadCount;

    /// <summary>Width of the K and V projections: KV heads x head size.</summary>
    public int KvDimension => KvHeadCount * HeadDimension;

    /// <summary>Total number of weights, matching llama.cpp's <c>llama_model_n_params</c> for this layout.</summary>
    public long ParameterCount =>
        2L * VocabSize * EmbeddingLength + EmbeddingLength
        + (long)LayerCount * (2L * EmbeddingLength
                              + 2L * EmbeddingLength * EmbeddingLength
                              + 2L * EmbeddingLength * KvDimension
                              + 3L * EmbeddingLength * FeedForwardLength);

    /// <summary>Checks the hyper-parameters for consistency.</summary>
    /// <exception cref="ArgumentException">A value is out of range or the head layout is inconsistent.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"Model name '{Name}' must be a non-empty file-name-safe string.", nameof(Name));
        Require(VocabSize >= SyntheticVocabulary.MinimumSize, $"VocabSize must be at least {SyntheticVocabulary.MinimumSize}.");
        Require(EmbeddingLength > 0 && LayerCount > 0 && HeadCount > 0 && KvHeadCount > 0, "Sizes must be positive.");
        Require(FeedForwardLength > 0 && ContextLength > 0, "Sizes must be positive.");
        Require(EmbeddingLength % HeadCount == 0, "EmbeddingLength must be divisible by HeadCount.");
        Require(HeadDimension % 2 == 0, "The head size must be even for RoPE.");
        Require(HeadCount % KvHeadCount == 0, "HeadCount must be a multiple of KvHeadCount.");
        Require(Enum.IsDefined(WeightType), "Unknown WeightType.");
        Require(float.IsFinite(RopeFreqBase) && RopeFreqBase > 0, "RopeFreqBase must be positive.");
        Require(float.IsFinite(RmsNormEpsilon) && RmsNormEpsilon > 0, "RmsNormEpsilon must be positive.");
        ArgumentNullException.ThrowIfNull(SpecialTokens);
        SpecialTokens.Validate();
        Require(VocabSize >= SyntheticVocabulary.MinimumSize + SpecialTokens.Tokens.Count + 1 - SyntheticVocabulary.FirstByteId,
            "VocabSize is too small for the special tokens.");
    }

    /// <summary>
    /// Cache file name that changes whenever the spec (template and special tokens included), the seed or
    /// <see cref="SyntheticModelWriter.GeneratorVersion"/> changes, e.g. <c>synthetic-tiny-g1-3fa94c1b2e07.gguf</c>.
    /// </summary>
    public string GetCacheFileName(int seed)
    {
        var canonical = string.Create(CultureInfo.InvariantCulture,
            $"{SyntheticModelWriter.GeneratorVersion}|{seed}|{Name}|{VocabSize}|{EmbeddingLength}|{LayerCount}|{HeadCount}|" +
            $"{KvHeadCount}|{FeedForwardLength}|{ContextLength}|{WeightType}|{RopeFreqBase:R}|{RmsNormEpsilon:R}");
        if (ChatTemplate is not null)
            canonical += "|" + ChatTemplate;
        // The default set adds nothing, so files written before special tokens were configurable keep their names.
        if (!SpecialTokens.IsChatMl())
            canonical += "|tokens|" + SpecialTokens.Canonical();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..12];
        return $"{Name}-g{SyntheticModelWriter.GeneratorVersion}-{hash}.gguf";
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException(message);
    }
}
