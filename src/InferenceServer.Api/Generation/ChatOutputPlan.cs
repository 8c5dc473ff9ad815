using InferenceServer.Engine.Tools;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Generation;

/// <summary>What a chat request's tools and reasoning settings ask of the template and of the output parser.</summary>
internal static class ChatOutputPlan
{
    /// <summary>
    /// The format tool calls are parsed in: none without tools or with <c>tool_choice: "none"</c>, else the one the
    /// template shows.
    /// </summary>
    /// <exception cref="ApiException">400 on <c>tools</c> when the model's template has no tool-call format.</exception>
    public static ToolCallFormat ToolCallFormat(GenerationRequest request, ChatPromptFormatter chat)
    {
        if (request.Tools.Count == 0 || request.ToolChoice.Mode == ToolChoiceMode.None)
            return Engine.Tools.ToolCallFormat.None;
        if (chat.ToolCallFormat == Engine.Tools.ToolCallFormat.None)
            throw ApiException.BadRequest(
                "This model's chat template shows no tool-call format the server can parse, so 'tools' cannot be honoured " +
                "(GET /v1/capabilities: chat_template.tool_call_format). Omit 'tools' or set 'tool_choice' to 'none'.",
                "tools", "unsupported_parameter");
        return chat.ToolCallFormat;
    }

    /// <summary>
    /// The request's template variables, plus <c>enable_thinking: false</c> for <c>reasoning_effort: "none"</c> where
    /// the template reads it (unless <c>chat_template_kwargs</c> sets it).
    /// </summary>
    public static IReadOnlyDictionary<string, object?>? TemplateVariables(GenerationRequest request, ChatPromptFormatter chat)
    {
        if (request.ReasoningEffort != "none" || !chat.Capabilities.Thinking
            || request.TemplateVariables?.ContainsKey("enable_thinking") == true)
            return request.TemplateVariables;
        var variables = new Dictionary<string, object?>(request.TemplateVariables ?? new Dictionary<string, object?>())
        {
            ["enable_thinking"] = false,
        };
        return variables;
    }

    /// <summary>True when the rendered prompt ends in an open <c>&lt;think&gt;</c>: the reply starts inside reasoning.</summary>
    public static bool EndsInsideThink(string prompt) => prompt.AsSpan().TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
}
