using InferenceServer.LlamaSharp.Tests.ModelGeneration;

namespace InferenceServer.LlamaSharp.Tests;

/// <summary>
/// Control tokens render as nothing, except those an output parser asks to see: a detokenizer created with markers
/// shows exactly the control tokens spelling them (here the tiny model's <c>&lt;|im_start|&gt;</c>).
/// </summary>
[Collection("llama")]
public sealed class MarkerDetokenizerTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Only_the_named_control_tokens_show_their_text()
    {
        var tokenizer = new LlamaTokenizer(model.Weights.NativeHandle);
        int start = tokenizer.ControlToken("<|im_start|>") ?? throw new InvalidOperationException("no <|im_start|> control token");
        int end = tokenizer.ControlToken("<|im_end|>") ?? throw new InvalidOperationException("no <|im_end|> control token");
        int[] text = tokenizer.Tokenize("hi", parseSpecial: false)[(tokenizer.AddBos ? 1 : 0)..];
        int[] ids = [start, .. text, end];

        var shown = tokenizer.CreateDetokenizer(["<|im_start|>", "[TOOL_CALLS]"]);
        var plain = tokenizer.CreateDetokenizer();

        Assert.Equal("<|im_start|>hi", string.Concat(ids.Select(shown.Add)) + shown.Flush());
        Assert.Equal("hi", string.Concat(ids.Select(plain.Add)) + plain.Flush());
        Assert.Null(tokenizer.ControlToken("hi"));
        Assert.Null(tokenizer.ControlToken("[TOOL_CALLS]"));
    }
}
