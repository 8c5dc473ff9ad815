using InferenceServer.Engine.Models;

namespace InferenceServer.Engine.Tests.Models;

/// <summary>
/// A byte-level tokenizer for tests without a model: token i &lt; 256 is the byte i; <see cref="EndOfText"/> and every
/// id above it up to <paramref name="vocabSize"/> are control tokens with no text. No BOS is added and no special
/// text is parsed.
/// </summary>
public sealed class ByteTokenizer(int vocabSize = 257) : ITokenizer
{
    /// <summary>The end-of-text control token.</summary>
    public const int EndOfText = 256;

    public int VocabSize { get; } = vocabSize > EndOfText ? vocabSize : throw new ArgumentOutOfRangeException(nameof(vocabSize));

    public int MaxTokenBytes => 1;

    public int[] Tokenize(string text, bool parseSpecial) => [.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    public byte[] TokenBytes(int tokenId) => (uint)tokenId < EndOfText ? [(byte)tokenId]
        : tokenId < VocabSize ? [] : throw new ArgumentOutOfRangeException(nameof(tokenId), tokenId, "Token id outside the vocabulary.");

    public IncrementalDetokenizer CreateDetokenizer(IReadOnlyList<string> markers) => new(TokenBytes);
}
