namespace InferenceServer.LlamaSharp;

/// <summary>
/// Shapes a conversation's history for the harmony template (gpt-oss), which reads an assistant turn's reasoning from
/// <c>thinking</c>, refuses a turn with tool calls that has both text and reasoning, renders only the first call of a
/// turn and names each tool result after the call rendered last before it:
/// <list type="bullet">
/// <item><c>reasoning_content</c> is given as <c>thinking</c> too; on a turn with calls and reasoning the text is left
/// out (as llama.cpp's server does).</item>
/// <item>A turn with several calls becomes one turn per call, each followed by the tool messages that answer it (by
/// <c>tool_call_id</c>), so every call and result renders under its own name; unmatched results follow the last call.</item>
/// </list>
/// </summary>
public static class HarmonyHistory
{
    /// <summary><paramref name="messages"/> with each multi-call turn split per call; the input itself when none has several calls.</summary>
    public static IReadOnlyList<ChatMessage> SplitCalls(IReadOnlyList<ChatMessage> messages)
    {
        if (!messages.Any(m => m.ToolCalls is { Count: > 1 }))
            return messages;
        var split = new List<ChatMessage>(messages.Count + 4);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.ToolCalls is not { Count: > 1 } calls)
            {
                split.Add(m);
                continue;
            }
            int end = i + 1;
            while (end < messages.Count && messages[end].Role == "tool")
                end++;
            var results = messages.Skip(i + 1).Take(end - i - 1).ToList();
            for (int k = 0; k < calls.Count; k++)
            {
                split.Add(k == 0 ? m with { ToolCalls = [calls[k]] } : new ChatMessage("assistant", "") { ToolCalls = [calls[k]] });
                split.AddRange(results.Where(r => r.ToolCallId == calls[k].Id));
            }
            split.AddRange(results.Where(r => !calls.Any(c => c.Id == r.ToolCallId)));
            i = end - 1;
        }
        return split;
    }

    /// <summary>Sets <c>thinking</c> on a template message that carries <c>reasoning_content</c>, and drops its text when it also has calls.</summary>
    public static Dictionary<string, object?> WithThinking(Dictionary<string, object?> message)
    {
        if (!message.TryGetValue("reasoning_content", out var reasoning) || reasoning is not string text)
            return message;
        message["thinking"] = text;
        if (message.ContainsKey("tool_calls"))
            message.Remove("content");
        return message;
    }
}
