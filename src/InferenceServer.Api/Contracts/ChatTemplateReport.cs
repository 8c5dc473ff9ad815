using InferenceServer.LlamaSharp;
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
/// <param name="Tools">The template reads <c>tools</c> (the server does not do tool calling yet; see <c>tools</c> in the capabilities).</param>
/// <param name="ToolCallArguments">Form of assistant tool-call arguments the template renders: <c>object</c>, <c>string</c> or null.</param>
/// <param name="ContentParts">The template renders a list of text content parts itself (the server joins parts into one text regardless).</param>
/// <param name="NullContent">The template renders an assistant message with <c>content: null</c>.</param>
/// <param name="Thinking">The template reads <c>enable_thinking</c> (pass it in <c>chat_template_kwargs</c>).</param>
public sealed record ChatTemplateReport(
    string Kind, bool SystemRole, bool StrictAlternation, bool Tools, string? ToolCallArguments, bool ContentParts, bool NullContent, bool Thinking)
{
    /// <summary>The report for <paramref name="formatter"/>.</summary>
    public static ChatTemplateReport From(ChatPromptFormatter formatter)
    {
        var c = formatter.Capabilities;
        string kind = formatter.Kind switch
        {
            ChatTemplateKind.Jinja => "jinja",
            ChatTemplateKind.LlamaCpp => "llama_cpp",
            _ => "plain",
        };
        return new(kind, c.SystemRole, c.StrictAlternation, c.Tools, c.ToolCallArguments, c.ContentParts, c.NullContent, c.Thinking);
    }
}
