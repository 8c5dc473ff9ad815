using InferenceServer.ModelGeneration;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Pure managed checks of the generated SentencePiece vocabulary.</summary>
public sealed class SyntheticVocabularyTests
{
    [Theory]
    [InlineData(512)]
    [InlineData(8192)]
    [InlineData(32000)]
    public void TokensAreUniqueAndLaidOutAsDocumented(int size)
    {
        var vocab = SyntheticVocabulary.Build(size);

        Assert.Equal(size, vocab.Tokens.Length);
        Assert.Equal(size, vocab.Tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"], vocab.Tokens[..5]);
        Assert.Equal([2, 3, 3, 3, 3], vocab.TokenTypes[..5]);
        Assert.Equal("<0x00>", vocab.Tokens[SyntheticVocabulary.FirstByteId]);
        Assert.Equal("<0x0A>", vocab.Tokens[SyntheticVocabulary.FirstByteId + 10]);
        Assert.Equal("<0xFF>", vocab.Tokens[SyntheticVocabulary.FirstByteId + 255]);
        Assert.All(vocab.TokenTypes[SyntheticVocabulary.FirstByteId..SyntheticVocabulary.ReservedCount], t => Assert.Equal(6, t));
        Assert.All(vocab.TokenTypes[SyntheticVocabulary.ReservedCount..], t => Assert.Equal(1, t));
        Assert.All(vocab.Scores, s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void ContainsWordStartPiecesAndEveryPrintableAsciiCharacter()
    {
        var tokens = SyntheticVocabulary.Build(8192).Tokens.ToHashSet(StringComparer.Ordinal);

        Assert.Contains("\u2581", tokens);
        Assert.Contains("\u2581the", tokens);
        Assert.Contains("\u2581The", tokens);
        Assert.Contains("user", tokens);
        for (var c = (char)0x21; c <= (char)0x7E; c++)
            Assert.Contains(c.ToString(), tokens);
    }

    [Fact]
    public void EveryWordPieceHasItsPrefixChain()
    {
        var tokens = SyntheticVocabulary.Build(8192).Tokens.ToHashSet(StringComparer.Ordinal);

        foreach (var word in tokens.Where(t => t.StartsWith('\u2581') && t.Length > 2))
            Assert.Contains(word[..^1], tokens);
    }

    [Fact]
    public void BuildIsDeterministic()
    {
        var a = SyntheticVocabulary.Build(8192);
        var b = SyntheticVocabulary.Build(8192);

        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Scores, b.Scores);
    }

    [Theory]
    [InlineData(511)]
    [InlineData(1_000_000)]
    public void UnsupportedSizesThrow(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticVocabulary.Build(size));
}
