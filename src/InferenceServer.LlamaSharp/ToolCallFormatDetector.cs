using System.Text.RegularExpressions;
using InferenceServer.Engine.Tools;
using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Decides how a model writes tool calls from how its chat template renders one: a probe conversation whose assistant
/// turn calls a probe tool is rendered, and the markup around the call names the format:
/// <c>&lt;tool_call&gt;</c> → Hermes; <c>[TOOL_CALLS][</c> → Mistral JSON list; <c>[TOOL_CALLS]name[ARGS]</c> or
/// <c>[TOOL_CALLS]name[CALL_ID]</c> → Mistral per-call arguments; <c>&lt;|python_tag|&gt;</c> or a bare
/// <c>{"name": …, "parameters": …}</c> → Llama 3.x JSON; <c>&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;name\n```json</c>
/// → DeepSeek R1; <c>&lt;｜tool▁call▁begin｜&gt;name&lt;｜tool▁sep｜&gt;</c> → DeepSeek V3.1; <c>to=functions.name</c> in a
/// header of <c>&lt;|channel|&gt;</c> and <c>&lt;|message|&gt;</c> words → harmony (gpt-oss). Anything else, or a template that cannot render a call, is
/// <see cref="ToolCallFormat.None"/>.
/// </summary>
public static partial class ToolCallFormatDetector
{
    private const string ToolName = "probe_tool_name";
    private const string ArgumentMarker = "PrObEaRgUmEnT";
    private const string UserText = "PrObEuSeRtUrN";

    /// <summary>The format of <paramref name="template"/> with the probed <paramref name="capabilities"/>.</summary>
    public static ToolCallFormat Detect(ChatTemplate template, ChatTemplateCapabilities capabilities, string bosToken = "", string eosToken = "")
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(capabilities);
        if (capabilities.ToolCallArguments is null)
            return ToolCallFormat.None;
        bool asObject = capabilities.ToolCallArguments == "object";
        // Some templates (DeepSeek-R1-Distill-Llama) render calls only for an assistant message whose content is null.
        string? output = Render(template, asObject, "", bosToken, eosToken) ?? Render(template, asObject, null, bosToken, eosToken);
        return output is null ? ToolCallFormat.None : Classify(output);
    }

    /// <summary>The format whose markup surrounds the probe call in <paramref name="rendered"/>.</summary>
    internal static ToolCallFormat Classify(string rendered)
    {
        if (rendered.Contains("<tool_call>", StringComparison.Ordinal))
            return ToolCallFormat.Hermes;
        if (rendered.Contains("[TOOL_CALLS][", StringComparison.Ordinal))
            return ToolCallFormat.MistralJson;
        if (rendered.Contains($"[TOOL_CALLS]{ToolName}[ARGS]", StringComparison.Ordinal)
            || rendered.Contains($"[TOOL_CALLS]{ToolName}[CALL_ID]", StringComparison.Ordinal))
            return ToolCallFormat.MistralArgs;
        if (rendered.Contains("<|python_tag|>", StringComparison.Ordinal) || Llama3Call().IsMatch(rendered))
            return ToolCallFormat.Llama3Json;
        if (rendered.Contains($"{ToolCallGrammar.DeepSeekCallBegin}function{ToolCallGrammar.DeepSeekSep}{ToolName}\n```json\n", StringComparison.Ordinal))
            return ToolCallFormat.DeepSeekR1;
        if (rendered.Contains($"{ToolCallGrammar.DeepSeekCallBegin}{ToolName}{ToolCallGrammar.DeepSeekSep}", StringComparison.Ordinal))
            return ToolCallFormat.DeepSeekV31;
        if (HarmonyCall().IsMatch(rendered))
            return ToolCallFormat.Harmony;
        return ToolCallFormat.None;
    }

    private static string? Render(ChatTemplate template, bool argumentsAsObject, string? content, string bosToken, string eosToken)
    {
        var call = new ChatToolCall("call00001", ToolName, "{\"x\": \"" + ArgumentMarker + "\"}");
        var messages = new List<object?>
        {
            TemplateValues.Message(new ChatMessage("user", UserText), argumentsAsObject),
            TemplateValues.Message(new ChatMessage("assistant", content ?? "") { ToolCalls = [call] }, argumentsAsObject),
        };
        if (content is null)
            ((Dictionary<string, object?>)messages[1]!)["content"] = null;
        var tool = new ToolDefinition(ToolName, "Probe tool.", System.Text.Json.JsonDocument.Parse(
            """{"type":"object","properties":{"x":{"type":"string"}},"required":["x"]}""").RootElement.Clone());
        try
        {
            string output = template.Render(new Dictionary<string, object?>
            {
                ["messages"] = messages, ["tools"] = TemplateValues.Tools([tool]), ["add_generation_prompt"] = false,
                ["bos_token"] = bosToken, ["eos_token"] = eosToken,
            });
            // Only the markup after the user turn counts: tool descriptions before it may quote other formats.
            int user = output.LastIndexOf(UserText, StringComparison.Ordinal);
            string reply = user < 0 ? output : output[(user + UserText.Length)..];
            return reply.Contains(ArgumentMarker, StringComparison.Ordinal) ? reply : null;
        }
        catch (TemplateException)
        {
            return null;
        }
    }

    // The recipient before or after the channel, then the body: <|start|>assistant to=functions.f<|channel|>commentary json<|message|>.
    [GeneratedRegex(@"(?:to=functions\.probe_tool_name[^\n]{0,40}<\|channel\|>|<\|channel\|>[a-z]+ to=functions\.probe_tool_name)[^\n]{0,40}<\|message\|>")]
    private static partial Regex HarmonyCall();

    [GeneratedRegex("""\{\s*"name"\s*:\s*"probe_tool_name"\s*,\s*"parameters"\s*:""")]
    private static partial Regex Llama3Call();
}
