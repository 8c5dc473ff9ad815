using System.Globalization;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// Deterministic SentencePiece-style ("llama" tokenizer model in llama.cpp) vocabulary with byte fallback.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;unk&gt;</c>, the special tokens of <see cref="SyntheticSpecialTokens"/> (by default
/// <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>), the 256 byte tokens
/// <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c>, then normal pieces from <see cref="SyntheticPieces"/> (a piece equal to
/// a special token's text is left out).
/// Every whole-word piece is accompanied by all of its left prefixes, so llama.cpp's SPM bigram merging can
/// always grow a listed word into a single token. Text not covered by pieces falls back to byte tokens, so any
/// UTF-8 input round-trips exactly.
/// </remarks>
internal sealed class SyntheticVocabulary
{
    /// <summary>llama.cpp <c>llama_token_type</c> values stored in <c>tokenizer.ggml.token_type</c>.</summary>
    internal const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4, TypeByte = 6;

    /// <summary>Token ids in the default layout (<see cref="SyntheticSpecialTokens.ChatMl"/>).</summary>
    internal const int UnknownId = 0, BosId = 1, EosId = 2, ImStartId = 3, ImEndId = 4;

    /// <summary>Index of the first byte token (<c>&lt;0x00&gt;</c>) in the default layout; see <see cref="FirstByteTokenId"/>.</summary>
    internal const int FirstByteId = 5;

    /// <summary>Number of special plus byte tokens preceding the normal pieces in the default layout.</summary>
    internal const int ReservedCount = FirstByteId + 256;

    /// <summary>Smallest vocabulary accepted (reserved tokens plus the single-character pieces).</summary>
    internal const int MinimumSize = 512;

    private SyntheticVocabulary(string[] tokens, float[] scores, int[] types, int firstByteTokenId)
    {
        Tokens = tokens;
        Scores = scores;
        TokenTypes = types;
        FirstByteTokenId = firstByteTokenId;
    }

    /// <summary>Id of <c>&lt;0x00&gt;</c>: one after the last special token.</summary>
    public int FirstByteTokenId { get; }

    /// <summary>Number of special plus byte tokens preceding the normal pieces.</summary>
    public int ReservedTokenCount => FirstByteTokenId + 256;

    /// <summary>Token texts, indexed by token id.</summary>
    public string[] Tokens { get; }

    /// <summary>SentencePiece scores (higher merges first), indexed by token id.</summary>
    public float[] Scores { get; }

    /// <summary>llama.cpp token types, indexed by token id.</summary>
    public int[] TokenTypes { get; }

    /// <summary>Builds a vocabulary with exactly <paramref name="size"/> unique tokens.</summary>
    /// <param name="size">Number of tokens.</param>
    /// <param name="specialTokens">Special tokens after <c>&lt;unk&gt;</c>; null for <see cref="SyntheticSpecialTokens.ChatMl"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below <see cref="MinimumSize"/> or above what the piece generator can supply.</exception>
    /// <exception cref="ArgumentException">The special tokens are invalid.</exception>
    public static SyntheticVocabulary Build(int size, SyntheticSpecialTokens? specialTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        specialTokens ??= SyntheticSpecialTokens.ChatMl;
        specialTokens.Validate();
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];

        tokens[UnknownId] = "<unk>";
        types[UnknownId] = TypeUnknown;
        var specials = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specialTokens.Tokens.Count; i++)
        {
            var token = specialTokens.Tokens[i];
            tokens[i + 1] = token.Text;
            types[i + 1] = token.Kind == SyntheticTokenKind.Control ? TypeControl : TypeUserDefined;
            specials.Add(token.Text);
        }
        var firstByte = specialTokens.Tokens.Count + 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(size, firstByte + MinimumSize - ReservedCount, nameof(size));
        for (var b = 0; b < 256; b++)
        {
            tokens[firstByte + b] = "<0x" + b.ToString("X2", CultureInfo.InvariantCulture) + ">";
            types[firstByte + b] = TypeByte;
        }

        var id = firstByte + 256;
        var rank = 0;
        foreach (var piece in SyntheticPieces.Enumerate())
        {
            if (id == size)
                break;
            if (specials.Contains(piece))
                continue;
            tokens[id] = piece;
            scores[id] = Score(piece, rank++);
            types[id++] = TypeNormal;
        }
        if (id < size)
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"The synthetic piece generator can fill at most {id} tokens.");
        return new SyntheticVocabulary(tokens, scores, types, firstByte);
    }

    /// <summary>
    /// Earlier (more common) pieces score higher, and every extra character adds a bonus so that, among
    /// candidate merges, longer known pieces win and words are assembled greedily. Only exactly rounded
    /// arithmetic is used, so the stored floats are identical on every platform.
    /// </summary>
    private static float Score(string piece, int rank) => 0.5f * (piece.Length - 1) - rank / 1024f;
}
