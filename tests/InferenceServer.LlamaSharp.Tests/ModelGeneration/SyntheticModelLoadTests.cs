using System.Text;
using InferenceServer.ModelGeneration;
using LLama;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Loads the generated tiny model with LLamaSharp and checks what llama.cpp reports about it.</summary>
[Collection("llama")]
public sealed class SyntheticModelLoadTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private readonly LLamaWeights _weights = fixture.Weights;

    [Fact]
    public void HyperParametersMatchTheSpec()
    {
        var spec = fixture.Spec;
        var model = _weights.NativeHandle;

        Assert.Equal(spec.VocabSize, _weights.Vocab.Count);
        Assert.Equal(spec.LayerCount, model.LayerCount);
        Assert.Equal(spec.HeadCount, model.HeadCount);
        Assert.Equal(spec.KvHeadCount, model.KVHeadCount);
        Assert.True(model.KVHeadCount < model.HeadCount);
        Assert.Equal(spec.EmbeddingLength, _weights.EmbeddingSize);
        Assert.Equal(4096, _weights.ContextSize);
        Assert.Equal((ulong)spec.ParameterCount, _weights.ParameterCount);
        Assert.Equal("llama", _weights.Metadata["general.architecture"]);
        Assert.Equal("1", _weights.Metadata["general.file_type"]);
    }

    [Fact]
    public void SpecialTokenIdsAreSet()
    {
        var vocab = _weights.Vocab;

        Assert.Equal(1, (int)vocab.BOS!.Value);
        Assert.Equal(2, (int)vocab.EOS!.Value);
        Assert.Equal(4, (int)vocab.EOT!.Value);
        Assert.True(vocab.ShouldAddBOS);
        Assert.False(vocab.ShouldAddEOS);
        Assert.Equal(SyntheticVocabulary.FirstByteId + '\n', (int)vocab.Newline!.Value);
    }

    [Fact]
    public void ChatTemplateIsChatMl()
    {
        Assert.Contains("<|im_start|>", _weights.Metadata["tokenizer.chat_template"]);

        var template = new LLamaTemplate(_weights) { AddAssistant = true };
        template.Add("user", "Hello there");
        var text = LLamaTemplate.Encoding.GetString(template.Apply());

        Assert.Equal("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Theory]
    [InlineData("Grüße, 世界! 🙂 naïve café")]
    [InlineData("The quick brown fox jumps over the lazy dog.\n\tTabs,  double  spaces and\r\nCRLF.")]
    [InlineData(" leading and trailing spaces ")]
    public void Utf8TextRoundTripsExactly(string text)
    {
        var tokens = _weights.Tokenize(text, add_bos: false, special: false, Encoding.UTF8);

        Assert.Equal(Encoding.UTF8.GetBytes(text), Detokenize(tokens));
    }

    [Fact]
    public void NonAsciiTextUsesByteFallback()
    {
        var tokens = _weights.Tokenize("世界🙂", add_bos: false, special: false, Encoding.UTF8);

        Assert.All(tokens, t => Assert.InRange((int)t, SyntheticVocabulary.FirstByteId, SyntheticVocabulary.ReservedCount - 1));
        Assert.Equal(Encoding.UTF8.GetByteCount("世界🙂"), tokens.Length);
    }

    [Fact]
    public void CommonWordsAreSingleTokens()
    {
        var tokens = _weights.Tokenize("The people of the world", add_bos: false, special: false, Encoding.UTF8);

        Assert.Equal(5, tokens.Length);
    }

    [Fact]
    public void ImEndIsSingleEndOfGenerationToken()
    {
        var vocab = _weights.Vocab;
        var special = _weights.Tokenize("<|im_end|>", add_bos: false, special: true, Encoding.UTF8);
        var plain = _weights.Tokenize("<|im_end|>", add_bos: false, special: false, Encoding.UTF8);

        var token = Assert.Single(special);
        Assert.Equal(SyntheticVocabulary.ImEndId, (int)token);
        Assert.True(token.IsEndOfGeneration(vocab));
        Assert.True(token.IsControl(vocab));
        Assert.True(plain.Length > 1);
        Assert.False(((LLamaToken)SyntheticVocabulary.ImStartId).IsEndOfGeneration(vocab));
    }

    [Fact]
    public void GreedyDecodingProducesFiniteLogitsAndValidTokens()
    {
        using var context = _weights.CreateContext(TinyModelFixture.CreateParams(fixture.ModelPath));
        var prompt = _weights.Tokenize("<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n",
            add_bos: true, special: true, Encoding.UTF8);
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Length; i++)
            batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);

        var generated = new List<int>();
        for (var step = 0; step < 8; step++)
        {
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            Assert.Equal(fixture.Spec.VocabSize, logits.Length);
            Assert.All(logits.ToArray(), l => Assert.True(float.IsFinite(l)));
            var next = ArgMax(logits);
            generated.Add(next);
            batch.Clear();
            batch.Add(next, prompt.Length + step, LLamaSeqId.Zero, true);
        }

        Assert.All(generated, t => Assert.InRange(t, 0, fixture.Spec.VocabSize - 1));
        Assert.True(generated.Distinct().Count() > 1, "greedy output should not be one repeated token");
    }

    private byte[] Detokenize(IEnumerable<LLamaToken> tokens)
    {
        var bytes = new List<byte>();
        Span<byte> buffer = stackalloc byte[64];
        foreach (var token in tokens)
        {
            var length = (int)_weights.NativeHandle.TokenToSpan(token, buffer);
            bytes.AddRange(buffer[..length].ToArray());
        }
        return bytes.ToArray();
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }
}
