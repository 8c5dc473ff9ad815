using System.Text.Json.Nodes;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Output;
using InferenceServer.Engine.Tools;
using InferenceServer.LlamaSharp;
using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.Api.Tests.Output;

/// <summary>
/// The parser reads what each real template (../shared/templates, skipped when absent) writes for an assistant turn
/// with a tool call: the turn's text after the generation prompt, up to its end-of-turn token, parses back into that
/// call with the detected format.
/// </summary>
public sealed class TemplateRoundTripTests
{
    private static readonly string[] EndOfTurn = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "</s>", "<｜end▁of▁sentence｜>"];

    [SkippableTheory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", ToolCallFormat.Hermes)]
    [InlineData("Qwen-Qwen3-0.6B.jinja", ToolCallFormat.Hermes)]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", ToolCallFormat.Hermes)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolCallFormat.MistralJson)]
    [InlineData("Mistral-Small-3.2-24B-Instruct-2506.jinja", ToolCallFormat.MistralArgs)]
    [InlineData("unsloth-mistral-Devstral-Small-2507.jinja", ToolCallFormat.MistralArgs)]
    [InlineData("deepseek-ai-DeepSeek-V3.1.jinja", ToolCallFormat.DeepSeekV31)]
    [InlineData("openai-gpt-oss-120b.jinja", ToolCallFormat.Harmony)]
    public void A_call_as_the_template_renders_it_parses_back(string file, ToolCallFormat format)
    {
        string? path = Infrastructure.SharedFiles.Find("templates/" + file);
        Skip.If(path is null, "../shared/templates is not present");
        string source = File.ReadAllText(path!);
        var template = ChatTemplate.Parse(source);
        var capabilities = ChatTemplateProber.Probe(template, "<s>", "</s>");
        Assert.Equal(format, ToolCallFormatDetector.Detect(template, capabilities, "<s>", "</s>"));

        var user = new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Weather in Paris?" };
        const string arguments = "{\"city\": \"Paris\", \"days\": 2}";
        var assistant = new Dictionary<string, object?>
        {
            ["role"] = "assistant", ["content"] = "",
            ["tool_calls"] = new List<object?>
            {
                new Dictionary<string, object?>
                {
                    ["id"] = "abcDEF123", ["type"] = "function",
                    ["function"] = new Dictionary<string, object?>
                    {
                        ["name"] = "get_weather",
                        ["arguments"] = capabilities.ToolCallArguments == "object" ? JsonNode.Parse(arguments) : arguments,
                    },
                },
            },
        };
        string prompt = Render(template, [user], generationPrompt: true);
        string full = Render(template, [user, assistant], generationPrompt: false);
        Assert.StartsWith(prompt, full);
        string reply = full[prompt.Length..];
        reply = reply[..EndOfTurn.Select(e => reply.IndexOf(e, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(reply.Length).Min()];

        var parsing = new OutputParsing(format, source.Contains("<think>"), ChatOutputPlan.EndsInsideThink(prompt),
            Channels: format == ToolCallFormat.Harmony);
        var parsed = ParsedReply.Of(parsing, [reply]);

        Assert.True(parsed.Content.Length == 0, $"content '{parsed.Content}' from '{reply}'");
        var (_, name, parsedArguments) = Assert.Single(parsed.Calls);
        Assert.Equal("get_weather", name);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(arguments), JsonNode.Parse(parsedArguments)), parsedArguments);
    }

    private static string Render(ChatTemplate template, List<object?> messages, bool generationPrompt) => template.Render(new Dictionary<string, object?>
    {
        ["messages"] = messages, ["add_generation_prompt"] = generationPrompt, ["bos_token"] = "<s>", ["eos_token"] = "</s>",
    });
}
