using InferenceServer.Engine.Models;
using InferenceServer.Templates.Probing;

namespace InferenceServer.Api.Contracts;

/// <summary>
/// How chat prompts are made for the loaded model and what its template supports, probed once at load by rendering
/// small conversations (<see cref="ChatTemplateProber"/>). Requests are adapted to it: system text is folded into the
/// first user turn when <see cref="SystemRole"/> is false, consecutive same-role messages are merged when
/// <see cref="StrictAlternation"/> is true. Formats other than <c>jinja</c> are not probed and report fixed values
/// (system role true, everything else false or null).
/// </summary>
/// <param name="Kind"><c>jinja</c> (the GGUF's template), <c>llama_cpp</c> (llama.cpp's built-in family format) or <c>plain</c>.</param>
/// <param name="SystemRole">The template renders a system message (neither raises nor drops it).</param>
/// <param name="StrictAlternation">The template requires user and assistant turns to alternate.</param>
/// <param name="Tools">The template reads <c>tools</c>.</param>
/// <param name="ToolCallArguments">Form of assistant tool-call arguments the template renders: <c>object</c>, <c>string</c> or null.</param>
/// <param name="ContentParts">The template renders a list of text content parts itself (the server joins parts into one text regardless).</param>
/// <param name="NullContent">The template renders an assistant message with <c>content: null</c>.</param>
/// <param name="Thinking">The template reads <c>enable_thinking</c> (pass it in <c>chat_template_kwargs</c>, or <c>reasoning_effort: "none"</c>).</param>
/// <param name="ToolCallFormat">
/// How tool calls in the output are parsed, from how the template renders one: <c>hermes</c>, <c>llama3_json</c>,
/// <c>mistral_json</c>, <c>mistral_args</c>, <c>deepseek_r1</c>, <c>deepseek_v3_1</c>, <c>harmony</c> (gpt-oss; its replies
/// are always read by channel, tools or not), or <c>generic</c> when it renders none (the server's own JSON format,
/// described to the model in a system message).
/// </param>
/// <param name="ThinkTags">The template writes <c>&lt;think&gt;</c>: reasoning in those tags becomes <c>reasoning_content</c>.</param>
public sealed record ChatTemplateReport(
    string Kind, bool SystemRole, bool StrictAlternation, bool Tools, string? ToolCallArguments, bool ContentParts, bool NullContent, bool Thinking,
    string ToolCallFormat, bool ThinkTags)
{
    /// <summary>The report for <paramref name="formatter"/>.</summary>
    public static ChatTemplateReport From(IChatTemplate formatter)
    {
        var c = formatter.Capabilities;
        string kind = formatter.Kind switch
        {
            ChatTemplateKind.Jinja => "jinja",
            ChatTemplateKind.LlamaCpp => "llama_cpp",
            _ => "plain",
        };
        return new(kind, c.SystemRole, c.StrictAlternation, c.Tools, c.ToolCallArguments, c.ContentParts, c.NullContent, c.Thinking,
            WireName(formatter.ToolCallFormat), formatter.ThinkTags);
    }

    /// <summary>The snake_case name of <paramref name="format"/>.</summary>
    public static string WireName(Engine.Tools.ToolCallFormat format) => format switch
    {
        Engine.Tools.ToolCallFormat.Hermes => "hermes",
        Engine.Tools.ToolCallFormat.Llama3Json => "llama3_json",
        Engine.Tools.ToolCallFormat.MistralJson => "mistral_json",
        Engine.Tools.ToolCallFormat.MistralArgs => "mistral_args",
        Engine.Tools.ToolCallFormat.DeepSeekR1 => "deepseek_r1",
        Engine.Tools.ToolCallFormat.DeepSeekV31 => "deepseek_v3_1",
        Engine.Tools.ToolCallFormat.Harmony => "harmony",
        _ => "generic",
    };
}
