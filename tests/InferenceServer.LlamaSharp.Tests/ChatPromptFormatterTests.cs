using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using InferenceServer.Templates;
using LLama;

namespace InferenceServer.LlamaSharp.Tests;

/// <summary>Which path <see cref="ChatPromptFormatter"/> takes for the template a real GGUF carries.</summary>
[Collection("llama")]
public sealed class ChatPromptFormatterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-formatter-tests-" + Guid.NewGuid().ToString("N"));

    private ChatPromptFormatter Load(string template)
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, $"m{Directory.GetFiles(_directory).Length}.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Tiny with { ChatTemplate = template }, TinyModelFixture.Seed, path);
        using var weights = LLamaWeights.LoadFromFile(TinyModelFixture.CreateParams(path));
        return new ChatPromptFormatter(weights.NativeHandle);
    }

    [Fact]
    public void A_template_writing_bos_yields_one_bos_and_sees_the_vocabularys_special_tokens()
    {
        var chat = Load("{{ bos_token }}[{{ eos_token }}]{% for m in messages %}{{ m.role }}={{ m.content }};{% endfor %}{{ flavour | default('plain') }}");

        Assert.Equal(ChatTemplateKind.Jinja, chat.Kind);
        // The tokenizer adds BOS itself, so the template's leading "<s>" is dropped.
        Assert.Equal("[</s>]system=a;user=b;plain", chat.Format([new ChatMessage("developer", "a"), new ChatMessage("user", "b")]));
        Assert.Equal("[</s>]user=b;mint", chat.Format([new ChatMessage("user", "b")],
            new Dictionary<string, object?> { ["flavour"] = "mint", ["messages"] = "ignored: the formatter sets it" }));
    }

    [Fact]
    public void A_template_the_engine_cannot_parse_falls_back_to_llama_cpp_when_it_recognises_it()
    {
        var chat = Load("{% include 'chatml.jinja' %}<|im_start|>");

        Assert.Equal(ChatTemplateKind.LlamaCpp, chat.Kind);
        Assert.Contains("include", chat.TemplateError);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", chat.Format([new ChatMessage("user", "Hi")]));
    }

    [Fact]
    public void A_render_error_surfaces_as_a_template_exception()
    {
        var chat = Load("{% if messages[0].role != 'system' %}{{ raise_exception('System message required') }}{% endif %}ok");

        var e = Assert.Throws<TemplateException>(() => chat.Format([new ChatMessage("user", "Hi")]));
        Assert.True(e.IsRaisedByTemplate);
        Assert.Equal("System message required", e.Reason);
        Assert.Equal("ok", chat.Format([new ChatMessage("system", "S")]));
    }

    [Fact]
    public void A_template_without_a_system_role_gets_the_system_text_in_the_first_user_turn()
    {
        var chat = Load("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
            "{% for m in messages %}{{ m.role }}={{ m.content }};{% endfor %}");

        Assert.False(chat.Capabilities.SystemRole);
        Assert.False(chat.Capabilities.StrictAlternation);
        Assert.Equal("user=Be brief.\n\nHi;", chat.Format([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")]));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
