using InferenceServer.LlamaSharp.Tests.Execution;

namespace InferenceServer.LlamaSharp.Tests;

[Collection("llama")]
public sealed class TextTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    private LlamaTokenizer Tokenizer => fixture.Host.Tokenizer;

    [Fact]
    public void Streamed_pieces_are_whole_characters_and_join_to_the_text()
    {
        const string text = "Grüße, 世界! 🙂 naïve café";
        var detok = Tokenizer.CreateDetokenizer();
        var ids = Tokenizer.Tokenize(text, parseSpecial: false).Skip(Tokenizer.AddBos ? 1 : 0).ToArray();

        var pieces = ids.Select(detok.Add).ToList();
        pieces.Add(detok.Flush());

        Assert.True(ids.Length > text.Length / 2, "non-ASCII text should fall back to byte tokens");
        Assert.Equal(text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        // A character split over byte tokens arrives whole: some tokens produce nothing on their own.
        Assert.Contains(pieces, p => p.Length == 0);
    }

    [Fact]
    public void Bytes_that_cannot_form_a_character_become_replacement_characters()
    {
        var detok = new IncrementalDetokenizer(id => id switch
        {
            0 => [0xE4, 0xB8],       // first two bytes of 世
            1 => [0x41],             // 'A' breaks the sequence
            2 => [0xF0, 0x9F],       // half an emoji, never finished
            _ => [0xFF],             // never valid in UTF-8
        });

        string text = detok.Add(0) + detok.Add(1) + detok.Add(3) + detok.Add(2) + detok.Flush();

        Assert.Equal("\uFFFDA\uFFFD\uFFFD", text);
    }

    [Fact]
    public void Chat_template_of_the_demo_model_is_chatml_and_developer_counts_as_system()
    {
        var chat = fixture.Host.Chat;
        string prompt = chat.Format([new ChatMessage("developer", "Be kind."), new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"),
            new ChatMessage("user", "Bye")]);

        Assert.True(chat.UsesModelTemplate);
        Assert.Equal(ChatTemplateKind.Jinja, chat.Kind);
        Assert.Null(chat.TemplateError);
        Assert.Equal("<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n" +
            "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", prompt);
        var tokens = Tokenizer.Tokenize(prompt, parseSpecial: true);
        int imStart = Tokenizer.Tokenize("<|im_start|>", parseSpecial: true).Last();
        Assert.Equal(5, tokens.Count(t => t == imStart));
        // Control tokens have no text: detokenizing the prompt leaves only the roles, contents and newlines.
        Assert.Equal("system\nBe kind.\nuser\nHi\nassistant\nHello\nuser\nBye\nassistant\n", Tokenizer.Detokenize(tokens));
    }
}
