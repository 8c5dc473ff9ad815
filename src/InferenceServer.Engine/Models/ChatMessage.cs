namespace InferenceServer.Engine.Models;

/// <summary>
/// One chat turn as the template sees it: a role (system, developer, user, assistant, tool) and its text, plus the
/// tool-calling and reasoning fields of OpenAI messages. A null content in the request arrives as "".
/// </summary>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>Calls an assistant message made (OpenAI <c>tool_calls</c>); null when none.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>The call a <c>tool</c> message answers (OpenAI <c>tool_call_id</c>).</summary>
    public string? ToolCallId { get; init; }

    /// <summary>The function name of a <c>tool</c> message (OpenAI <c>name</c>), as some templates print it.</summary>
    public string? Name { get; init; }

    /// <summary>The reasoning of an earlier assistant turn (<c>reasoning_content</c>), for templates that render it.</summary>
    public string? ReasoningContent { get; init; }
}
