using InferenceServer.Templates.Probing;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Adapts a conversation to what the model's template supports (<see cref="ChatTemplateCapabilities"/>), as llama.cpp's
/// server does, so that a request the template would reject or half-drop still renders every message's text:
/// <list type="bullet">
/// <item>System text on a template without a system role (it raises or drops it): all system/developer messages are
/// folded, in order and joined by a blank line, into the first user turn as <c>"{system}\n\n{user}"</c>; with no user
/// turn they become one.</item>
/// <item>Consecutive messages of one role on a template that requires strict user/assistant alternation: merged into one
/// message, their texts joined by a blank line. Tool results and assistant turns with tool calls stay separate.</item>
/// <item>Content parts: always joined into one text before they reach the formatter (<see cref="ChatMessage"/> holds
/// text), so templates that cannot take a list of parts still get the text; a null content arrives as "".</item>
/// </list>
/// </summary>
internal static class ChatMessageAdapter
{
    private const string Separator = "\n\n";

    /// <summary>The messages to render for a template with <paramref name="capabilities"/>; the input itself when nothing needs changing.</summary>
    public static IReadOnlyList<ChatMessage> Adapt(IReadOnlyList<ChatMessage> messages, ChatTemplateCapabilities capabilities)
    {
        var adapted = capabilities.SystemRole ? messages : FoldSystem(messages);
        return capabilities.StrictAlternation ? MergeSameRole(adapted) : adapted;
    }

    private static bool IsSystem(ChatMessage m) => m.Role is "system" or "developer";

    private static IReadOnlyList<ChatMessage> FoldSystem(IReadOnlyList<ChatMessage> messages)
    {
        var system = messages.Where(IsSystem).Select(m => m.Content).ToList();
        if (system.Count == 0)
            return messages;
        string systemText = string.Join(Separator, system);
        var rest = messages.Where(m => !IsSystem(m)).ToList();
        int firstUser = rest.FindIndex(m => m.Role == "user");
        if (firstUser < 0)
            rest.Insert(0, new ChatMessage("user", systemText));
        else
            rest[firstUser] = rest[firstUser] with { Content = systemText + Separator + rest[firstUser].Content };
        return rest;
    }

    private static IReadOnlyList<ChatMessage> MergeSameRole(IReadOnlyList<ChatMessage> messages)
    {
        var merged = new List<ChatMessage>(messages.Count);
        foreach (var m in messages)
        {
            if (merged.Count > 0 && m.Role != "tool" && m.ToolCalls is null && merged[^1].ToolCalls is null && SameRole(merged[^1].Role, m.Role))
                merged[^1] = merged[^1] with { Content = merged[^1].Content + Separator + m.Content };
            else
                merged.Add(m);
        }
        return merged;
    }

    private static bool SameRole(string a, string b) => a == b || (a is "system" or "developer" && b is "system" or "developer");
}
