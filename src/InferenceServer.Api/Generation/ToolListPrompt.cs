using System.Text;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Tool descriptions for templates that render tool calls but not the <c>tools</c> list (DeepSeek R1 and V3.1: their
/// models expect the tools in the system prompt): a system message lists the tools and shows the format's call
/// syntax. It goes before the conversation, or after the first system message's text.
/// </summary>
internal static class ToolListPrompt
{
    /// <summary>The conversation with the tool list added, or as given for formats without an example here.</summary>
    public static IReadOnlyList<ChatMessage> Apply(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition> tools, ToolCallFormat format)
    {
        if (Example(format) is not { } example || tools.Count == 0)
            return messages;
        var text = new StringBuilder("You can call these tools (each with the JSON Schema of its arguments):\n");
        foreach (var tool in tools)
            text.Append(GenericToolPrompt.ToolJson(tool)).Append('\n');
        text.Append("To call tools, write:\n").Append(example);
        var adapted = messages.ToList();
        if (adapted.Count > 0 && adapted[0].Role is "system" or "developer")
            adapted[0] = adapted[0] with { Content = adapted[0].Content + "\n\n" + text };
        else
            adapted.Insert(0, new ChatMessage("system", text.ToString()));
        return adapted;
    }

    // The format's call syntax as its templates render it (see ToolCallGrammar).
    private static string? Example(ToolCallFormat format) => format switch
    {
        ToolCallFormat.DeepSeekR1 => $"{ToolCallGrammar.DeepSeekCallsBegin}{ToolCallGrammar.DeepSeekCallBegin}function{ToolCallGrammar.DeepSeekSep}"
            + $"<tool name>\n```json\n{{<arguments>}}\n```{ToolCallGrammar.DeepSeekCallEnd}{ToolCallGrammar.DeepSeekCallsEnd}",
        ToolCallFormat.DeepSeekV31 => $"{ToolCallGrammar.DeepSeekCallsBegin}{ToolCallGrammar.DeepSeekCallBegin}<tool name>{ToolCallGrammar.DeepSeekSep}"
            + $"{{<arguments>}}{ToolCallGrammar.DeepSeekCallEnd}{ToolCallGrammar.DeepSeekCallsEnd}",
        _ => null,
    };
}
