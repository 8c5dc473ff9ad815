using InferenceServer.ModelGeneration;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Pure managed checks of configurable special tokens, their vocabulary layout and the template catalogue.</summary>
public sealed class SyntheticSpecialTokensTests
{
    private static readonly SyntheticSpecialTokens Llama3 = SyntheticTemplateCatalog.SpecialTokensFor("meta-llama-Llama-3.1-8B-Instruct");

    [Fact]
    public void Special_tokens_follow_unk_and_precede_the_byte_tokens()
    {
        var qwen3 = SyntheticTemplateCatalog.SpecialTokensFor("Qwen-Qwen3-0.6B");
        var vocab = SyntheticVocabulary.Build(2048, qwen3);

        Assert.Equal(["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>",
            "<tool_response>", "</tool_response>", "<think>", "</think>"], vocab.Tokens[..10]);
        Assert.Equal([2, 3, 3, 3, 4, 4, 4, 4, 4, 4], vocab.TokenTypes[..10]);
        Assert.Equal(10, vocab.FirstByteTokenId);
        Assert.Equal("<0x00>", vocab.Tokens[10]);
        Assert.Equal("<0xFF>", vocab.Tokens[265]);
        Assert.Equal(2048, vocab.Tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(3, qwen3.IdOf("<|im_end|>"));
        Assert.Null(qwen3.IdOf("<tools>"));
        Assert.Equal(["<|im_end|>"], qwen3.EndOfGeneration);
    }

    [Fact]
    public void The_default_layout_is_unchanged()
    {
        var vocab = SyntheticVocabulary.Build(8192, SyntheticSpecialTokens.ChatMl);

        Assert.Equal(SyntheticVocabulary.FirstByteId, vocab.FirstByteTokenId);
        Assert.Equal(SyntheticVocabulary.Build(8192).Tokens, vocab.Tokens);
        Assert.Equal(["</s>", "<|im_end|>"], SyntheticSpecialTokens.ChatMl.EndOfGeneration);
        // Files cached before special tokens were configurable keep their names (the demo model's name in release 1).
        Assert.Equal("synthetic-tiny-g1-f871faa26e9a.gguf", DemoModel.FileName);
    }

    [Fact]
    public void The_cache_file_name_changes_with_the_special_tokens()
    {
        var tiny = SyntheticModelSpec.Tiny;
        var llama = tiny with { SpecialTokens = Llama3 };

        Assert.NotEqual(tiny.GetCacheFileName(1), llama.GetCacheFileName(1));
        Assert.NotEqual(llama.GetCacheFileName(1), (tiny with { SpecialTokens = Llama3 with { AddBos = false } }).GetCacheFileName(1));
        Assert.NotEqual(llama.GetCacheFileName(1), (tiny with { SpecialTokens = Llama3 with { EndOfMessage = null } }).GetCacheFileName(1));
        var userDefined = Llama3 with { Tokens = Llama3.Tokens.Select(t => t with { Kind = SyntheticTokenKind.UserDefined }).ToArray() };
        Assert.NotEqual(llama.GetCacheFileName(1), (tiny with { SpecialTokens = userDefined }).GetCacheFileName(1));
        Assert.Equal(llama.GetCacheFileName(1), (tiny with { SpecialTokens = Llama3 with { Tokens = Llama3.Tokens.ToList() } }).GetCacheFileName(1));
    }

    [Theory]
    [InlineData("<|eot_id|>", "<|eot_id|>")]
    [InlineData("<|begin_of_text|>", "<0x41>")]
    [InlineData("<|begin_of_text|>", "<unk>")]
    [InlineData("<|begin_of_text|>", "")]
    public void Invalid_special_tokens_are_rejected(string first, string second)
    {
        var tokens = Llama3 with { Tokens = [SyntheticSpecialToken.Control(first), SyntheticSpecialToken.Control(second)] };

        Assert.Throws<ArgumentException>(tokens.Validate);
    }

    [Fact]
    public void Bos_and_end_tokens_must_be_listed()
    {
        Assert.Throws<ArgumentException>((Llama3 with { Bos = "<s>" }).Validate);
        Assert.Throws<ArgumentException>((Llama3 with { EndOfMessage = "<|end|>" }).Validate);
        Assert.Throws<ArgumentException>((SyntheticModelSpec.Tiny with { SpecialTokens = Llama3 with { Eos = "</s>" } }).Validate);
    }

    [Fact]
    public void The_catalogue_names_its_templates_and_refuses_others()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticModelSpec.ForTemplate("google-gemma-2-2b-it", "{{ x }}"));

        Assert.Contains("Qwen-Qwen3-0.6B", e.Message);
        var spec = SyntheticModelSpec.ForTemplate("mistralai-Mistral-Nemo-Instruct-2407", "[INST]");
        Assert.Equal("synthetic-mistralai-Mistral-Nemo-Instruct-2407", spec.Name);
        Assert.Equal("[INST]", spec.ChatTemplate);
        Assert.Equal("<s>", spec.SpecialTokens.Bos);
        Assert.Equal(SyntheticTokenKind.Control, spec.SpecialTokens.Tokens.Single(t => t.Text == "[TOOL_CALLS]").Kind);
        spec.Validate();
    }
}
