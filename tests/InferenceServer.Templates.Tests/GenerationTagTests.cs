namespace InferenceServer.Templates.Tests;

/// <summary>
/// Hugging Face's <c>{% generation %}</c> block: rendered as its body when asked for (as <c>transformers</c> renders
/// it), refused by default (as plain jinja2 does).
/// </summary>
public sealed class GenerationTagTests
{
    private const string Source =
        "{% for m in messages %}[{{ m.role }}]{% if m.role == 'assistant' %}{% generation %}{% set x = 'inner' %}{{ m.content }}{% endgeneration %}" +
        "{% else %}{{ m.content }}{% endif %}{% endfor %}{{ x is defined }}";

    private static readonly Dictionary<string, object?> Messages = new()
    {
        ["messages"] = new[]
        {
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "hello" },
        },
    };

    [Fact]
    public void The_block_renders_its_body_in_a_frame_of_its_own() =>
        Assert.Equal("[user]hi[assistant]helloFalse", ChatTemplate.Parse(Source, generationTags: true).Render(Messages));

    [Fact]
    public void Plain_jinja_refuses_the_tag() =>
        Assert.Contains("generation", Assert.Throws<TemplateException>(() => ChatTemplate.Parse(Source)).Message);

    [SkippableTheory]
    [InlineData("LFM2.5-8B-A1B.jinja")]
    [InlineData("poolside-Laguna-XS.2.jinja")]
    public void Shared_templates_with_the_tag_render_the_assistant_turn(string file)
    {
        string? folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(folder!, file)), generationTags: true);
        var names = new Dictionary<string, object?>(Messages) { ["add_generation_prompt"] = true, ["bos_token"] = "", ["eos_token"] = "" };
        string prompt = template.Render(names);
        Assert.Contains("hi", prompt);
        Assert.Contains("hello", prompt);
    }
}
