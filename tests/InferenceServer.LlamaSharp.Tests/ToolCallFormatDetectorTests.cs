using InferenceServer.Engine.Tools;
using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.LlamaSharp.Tests;

/// <summary>
/// The tool-call format is read from how real templates (../shared/templates, skipped when absent) render a call, and
/// from small templates of our own for each markup.
/// </summary>
public sealed class ToolCallFormatDetectorTests
{
    [SkippableTheory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", ToolCallFormat.Hermes)]
    [InlineData("Qwen-Qwen3-0.6B.jinja", ToolCallFormat.Hermes)]
    [InlineData("Qwen-QwQ-32B.jinja", ToolCallFormat.Hermes)]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", ToolCallFormat.Hermes)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolCallFormat.MistralJson)]
    [InlineData("Mistral-Small-3.2-24B-Instruct-2506.jinja", ToolCallFormat.MistralArgs)]
    [InlineData("unsloth-mistral-Devstral-Small-2507.jinja", ToolCallFormat.MistralArgs)]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", ToolCallFormat.DeepSeekR1)]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", ToolCallFormat.DeepSeekR1)]
    // Renders no tools in the reference either (tojson of a map() generator fails), so it cannot take tool calls.
    [InlineData("llama-cpp-deepseek-r1.jinja", ToolCallFormat.None)]
    [InlineData("deepseek-ai-DeepSeek-V3.1.jinja", ToolCallFormat.DeepSeekV31)]
    [InlineData("openai-gpt-oss-120b.jinja", ToolCallFormat.Harmony)]
    [InlineData("google-gemma-2-2b-it.jinja", ToolCallFormat.None)]
    public void Shared_templates_get_the_format_their_tool_call_markup_shows(string file, ToolCallFormat expected)
    {
        string? folder = FindSharedTemplates();
        Skip.If(folder is null, "../shared/templates is not present");
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(folder!, file)));
        var capabilities = ChatTemplateProber.Probe(template, "<s>", "</s>");

        Assert.Equal(expected, ToolCallFormatDetector.Detect(template, capabilities, "<s>", "</s>"));
    }

    [Theory]
    [InlineData("{% for m in messages %}{% for c in m.tool_calls or [] %}<tool_call>{{ c.function | tojson }}</tool_call>{% endfor %}{{ m.content }}{% endfor %}", ToolCallFormat.Hermes)]
    [InlineData("{% for m in messages %}{% for c in m.tool_calls or [] %}<|python_tag|>{{ c.function.name }}.call({{ c.function.arguments | tojson }}){% endfor %}{{ m.content }}{% endfor %}", ToolCallFormat.Llama3Json)]
    [InlineData("{% for m in messages %}{% if m.tool_calls %}[TOOL_CALLS]{{ m.tool_calls | map(attribute='function') | list | tojson }}{% endif %}{{ m.content }}{% endfor %}", ToolCallFormat.MistralJson)]
    [InlineData("{% for m in messages %}{% for c in m.tool_calls or [] %}[TOOL_CALLS]{{ c.function.name }}[ARGS]{{ c.function.arguments | tojson }}{% endfor %}{{ m.content }}{% endfor %}", ToolCallFormat.MistralArgs)]
    [InlineData("{% for m in messages %}{% for c in m.tool_calls or [] %}<|start|>assistant<|channel|>commentary to=functions.{{ c.function.name }} <|constrain|>json<|message|>{{ c.function.arguments | tojson }}<|call|>{% endfor %}{{ m.content }}{% endfor %}", ToolCallFormat.Harmony)]
    [InlineData("{% for m in messages %}{% for c in m.tool_calls or [] %}CALL {{ c.function.name }} {{ c.function.arguments | tojson }}{% endfor %}{{ m.content }}{% endfor %}", ToolCallFormat.None)]
    [InlineData("{% for m in messages %}{{ m.content }}{% endfor %}", ToolCallFormat.None)]
    public void Each_markup_names_its_format(string source, ToolCallFormat expected)
    {
        var template = ChatTemplate.Parse(source);

        Assert.Equal(expected, ToolCallFormatDetector.Detect(template, ChatTemplateProber.Probe(template)));
    }

    private static string? FindSharedTemplates()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "templates");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.jinja").Any())
                return candidate;
        }
        return null;
    }
}
