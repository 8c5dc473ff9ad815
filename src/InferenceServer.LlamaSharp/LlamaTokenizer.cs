using System.Text;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The model's own tokenizer (llama.cpp's <c>llama_tokenize</c> / <c>llama_token_to_piece</c>), thread-safe.
/// </summary>
public sealed class LlamaTokenizer : ITokenizer
{
    private readonly SafeLlamaModelHandle _model;
    private readonly byte[]?[] _pieces;

    /// <summary>Wraps the vocabulary of <paramref name="model"/>.</summary>
    public LlamaTokenizer(SafeLlamaModelHandle model)
    {
        _model = model;
        VocabSize = model.Vocab.Count;
        _pieces = new byte[VocabSize][];
        AddBos = model.Vocab.ShouldAddBOS;
        MaxTokenBytes = Enumerable.Range(0, VocabSize).Max(t => TokenBytes(t).Length);
    }

    /// <summary>Length in bytes of the longest token piece (a text of B bytes has at least B / MaxTokenBytes tokens).</summary>
    public int MaxTokenBytes { get; }

    /// <summary>Vocabulary size in tokens.</summary>
    public int VocabSize { get; }

    /// <summary>True when the model wants a BOS token in front of every prompt.</summary>
    public bool AddBos { get; }

    /// <summary>Tokenizes UTF-8 text, adding BOS when the model wants it.</summary>
    /// <param name="text">UTF-8 text.</param>
    /// <param name="parseSpecial">Turn special-token text (e.g. <c>&lt;|im_start|&gt;</c>) into its token; on for chat templates.</param>
    public int[] Tokenize(string text, bool parseSpecial)
    {
        var tokens = _model.Tokenize(text, AddBos, parseSpecial, Encoding.UTF8);
        var ids = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
            ids[i] = (int)tokens[i];
        return ids;
    }

    /// <summary>UTF-8 bytes of a token's text; empty for control tokens. Byte-fallback tokens give their single byte.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public byte[] TokenBytes(int tokenId)
    {
        if ((uint)tokenId >= (uint)VocabSize)
            throw new ArgumentOutOfRangeException(nameof(tokenId), tokenId, "Token id outside the vocabulary.");
        return _pieces[tokenId] ??= ReadPiece(tokenId);
    }

    /// <summary>Text of a whole token sequence (invalid UTF-8 becomes U+FFFD).</summary>
    public string Detokenize(IEnumerable<int> tokenIds)
    {
        var detok = new IncrementalDetokenizer(TokenBytes);
        var text = new StringBuilder();
        foreach (int id in tokenIds)
            text.Append(detok.Add(id));
        return text.Append(detok.Flush()).ToString();
    }

    /// <summary>A new streaming detokenizer over this vocabulary.</summary>
    public IncrementalDetokenizer CreateDetokenizer() => new(TokenBytes);

    /// <summary>
    /// A new streaming detokenizer that shows the text of the control tokens spelling <paramref name="markers"/> (e.g.
    /// <c>[TOOL_CALLS]</c>, <c>&lt;|python_tag|&gt;</c>), which otherwise render as nothing, so that an output parser
    /// sees them. Markers that are not one control token of this vocabulary change nothing.
    /// </summary>
    public IncrementalDetokenizer CreateDetokenizer(IReadOnlyList<string> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        var shown = new Dictionary<int, byte[]>();
        foreach (string marker in markers)
            if (ControlToken(marker) is { } id)
                shown[id] = ReadPiece(id, special: true);
        return shown.Count == 0 ? CreateDetokenizer() : new(id => shown.TryGetValue(id, out var bytes) ? bytes : TokenBytes(id));
    }

    /// <summary>The id of the control token whose text is <paramref name="text"/>, or null when there is none.</summary>
    public int? ControlToken(string text)
    {
        var tokens = _model.Tokenize(text, false, true, Encoding.UTF8);
        return tokens.Length == 1 && TokenBytes((int)tokens[0]).Length == 0 ? (int)tokens[0] : null;
    }

    private byte[] ReadPiece(int tokenId, bool special = false)
    {
        Span<byte> buffer = stackalloc byte[256];
        uint n = _model.TokenToSpan((LLamaToken)tokenId, buffer, 0, special);
        if (n > buffer.Length)
        {
            var big = new byte[n];
            _model.TokenToSpan((LLamaToken)tokenId, big, 0, special);
            return big;
        }
        return buffer[..(int)n].ToArray();
    }
}
