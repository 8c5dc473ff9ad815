using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>What a chat request's tools and reasoning settings ask of the template and of the output parser.</summary>
internal static class ChatOutputPlan
{
    /// <summary>
    /// The format tool calls are parsed in: none without tools or with <c>tool_choice: "none"</c>, else the one the
    /// template shows, or the generic format when it shows none.
    /// </summary>
    public static ToolCallFormat ToolCallFormat(ChatCompletionRequest request, IChatTemplate chat)
    {
        if (request.Tools.Count == 0 || request.ToolChoice.Mode == ToolChoiceMode.None)
            return Engine.Tools.ToolCallFormat.None;
        return chat.ToolCallFormat == Engine.Tools.ToolCallFormat.None ? Engine.Tools.ToolCallFormat.Generic : chat.ToolCallFormat;
    }

    /// <summary>
    /// The messages and tools to render: with the generic format the tools are described in a system message
    /// (<see cref="GenericToolPrompt"/>) instead of being given to a template that shows no calls; a template that
    /// shows calls but does not render the tools list gets them in a system message too (<see cref="ToolListPrompt"/>).
    /// </summary>
    public static (IReadOnlyList<ChatMessage> Messages, IReadOnlyList<ToolDefinition> Tools) Conversation(
        ChatCompletionRequest request, IReadOnlyList<ChatMessage> messages, ToolCallFormat format, bool templateListsTools) =>
        format == Engine.Tools.ToolCallFormat.Generic ? (GenericToolPrompt.Apply(messages, request.Tools, request.ToolChoice), [])
        : templateListsTools ? (messages, request.Tools)
        : (ToolListPrompt.Apply(messages, request.Tools, format), request.Tools);

    /// <summary>
    /// The request's template variables, plus <c>enable_thinking: false</c> for <c>reasoning_effort: "none"</c> where
    /// the template reads it (unless <c>chat_template_kwargs</c> sets it).
    /// </summary>
    public static IReadOnlyDictionary<string, object?>? TemplateVariables(ChatCompletionRequest request, IChatTemplate chat)
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

    /// <summary>
    /// How the reply to <paramref name="prompt"/> is split: tool calls in <paramref name="format"/>, <c>&lt;think&gt;</c>
    /// tags where the template writes them, harmony channels whenever the template's format is harmony (gpt-oss writes
    /// its reasoning in the analysis channel with or without tools).
    /// </summary>
    public static Output.OutputParsing Parsing(ChatCompletionRequest request, IChatTemplate chat, ToolCallFormat format, string prompt) =>
        new(format, chat.ThinkTags, EndsInsideThink(prompt), request.ParallelToolCalls,
            Channels: chat.ToolCallFormat == Engine.Tools.ToolCallFormat.Harmony,
            ReasoningClosed: prompt.AsSpan().TrimEnd().EndsWith("</think>", StringComparison.Ordinal));

    /// <summary>True when the rendered prompt ends in an open <c>&lt;think&gt;</c>: the reply starts inside reasoning.</summary>
    public static bool EndsInsideThink(string prompt) => prompt.AsSpan().TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
}
