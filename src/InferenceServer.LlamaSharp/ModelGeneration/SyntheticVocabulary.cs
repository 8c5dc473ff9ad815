using System.Globalization;

namespace InferenceServer.LlamaSharp.ModelGeneration;

/// <summary>
/// Deterministic SentencePiece-style ("llama" tokenizer model in llama.cpp) vocabulary with byte fallback.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>,
/// the 256 byte tokens <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c>, then normal pieces from <see cref="SyntheticPieces"/>.
/// Every whole-word piece is accompanied by all of its left prefixes, so llama.cpp's SPM bigram merging can
/// always grow a listed word into a single token. Text not covered by pieces falls back to byte tokens, so any
/// UTF-8 input round-trips exactly.
/// </remarks>
internal sealed class SyntheticVocabulary
{
    /// <summary>llama.cpp <c>llama_token_type</c> values stored in <c>tokenizer.ggml.token_type</c>.</summary>
    internal const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    internal const int UnknownId = 0, BosId = 1, EosId = 2, ImStartId = 3, ImEndId = 4;

    /// <summary>Index of the first byte token (<c>&lt;0x00&gt;</c>).</summary>
    internal const int FirstByteId = 5;

    /// <summary>Number of special plus byte tokens preceding the normal pieces.</summary>
    internal const int ReservedCount = FirstByteId + 256;

    /// <summary>Smallest vocabulary accepted (reserved tokens plus the single-character pieces).</summary>
    internal const int MinimumSize = 512;

    private static readonly string[] _specialTokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"];

    private SyntheticVocabulary(string[] tokens, float[] scores, int[] types)
    {
        Tokens = tokens;
        Scores = scores;
        TokenTypes = types;
    }

    /// <summary>Token texts, indexed by token id.</summary>
    public string[] Tokens { get; }

    /// <summary>SentencePiece scores (higher merges first), indexed by token id.</summary>
    public float[] Scores { get; }

    /// <summary>llama.cpp token types, indexed by token id.</summary>
    public int[] TokenTypes { get; }

    /// <summary>Builds a vocabulary with exactly <paramref name="size"/> unique tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below <see cref="MinimumSize"/> or above what the piece generator can supply.</exception>
    public static SyntheticVocabulary Build(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];

        for (var i = 0; i < _specialTokens.Length; i++)
        {
            tokens[i] = _specialTokens[i];
            types[i] = i == UnknownId ? TypeUnknown : TypeControl;
        }
        for (var b = 0; b < 256; b++)
        {
            tokens[FirstByteId + b] = "<0x" + b.ToString("X2", CultureInfo.InvariantCulture) + ">";
            types[FirstByteId + b] = TypeByte;
        }

        var id = ReservedCount;
        var rank = 0;
        foreach (var piece in SyntheticPieces.Enumerate())
        {
            if (id == size)
                break;
            tokens[id] = piece;
            scores[id] = Score(piece, rank++);
            types[id++] = TypeNormal;
        }
        if (id < size)
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"The synthetic piece generator can fill at most {id} tokens.");
        return new SyntheticVocabulary(tokens, scores, types);
    }

    /// <summary>
    /// Earlier (more common) pieces score higher, and every extra character adds a bonus so that, among
    /// candidate merges, longer known pieces win and words are assembled greedily. Only exactly rounded
    /// arithmetic is used, so the stored floats are identical on every platform.
    /// </summary>
    private static float Score(string piece, int rank) => 0.5f * (piece.Length - 1) - rank / 1024f;
}
