using System.Text;
using System.Text.Json;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>
/// The prompt side of the generic tool format (<see cref="ToolCallFormat.Generic"/>), for templates that show no tool
/// calls of their own: a system message lists the tools and asks for a reply of exactly one JSON object,
/// <c>{"tool_calls": [{"name": …, "arguments": {…}}]}</c> or <c>{"content": "…"}</c>; earlier assistant calls are
/// written in that shape as the turn's content. The message goes before the conversation, or after the first system
/// message's text.
/// </summary>
internal static class GenericToolPrompt
{
    /// <summary>The conversation with the tool instructions added.</summary>
    public static IReadOnlyList<ChatMessage> Apply(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition> tools, ToolChoice choice)
    {
        string instructions = Instructions(tools, choice);
        var adapted = messages.Select(m => m.ToolCalls is { Count: > 0 } calls
            ? m with { Content = (m.Content.Length > 0 ? m.Content + "\n" : "") + CallsJson(calls), ToolCalls = null }
            : m).ToList();
        if (adapted.Count > 0 && adapted[0].Role is "system" or "developer")
            adapted[0] = adapted[0] with { Content = adapted[0].Content + "\n\n" + instructions };
        else
            adapted.Insert(0, new ChatMessage("system", instructions));
        return adapted;
    }

    private static string Instructions(IReadOnlyList<ToolDefinition> tools, ToolChoice choice)
    {
        var text = new StringBuilder("You can call these tools (each with the JSON Schema of its arguments):\n");
        foreach (var tool in tools)
            text.Append(ToolJson(tool)).Append('\n');
        text.Append("Reply with exactly one JSON object and nothing else. To call tools: ")
            .Append("{\"tool_calls\": [{\"name\": \"<tool name>\", \"arguments\": {<arguments>}}]}");
        if (choice.Mode == ToolChoiceMode.Required)
            return text.Append(". You must call at least one tool.").ToString();
        if (choice.Mode == ToolChoiceMode.Named)
            return text.Append($". You must call the tool \"{choice.Name}\".").ToString();
        return text.Append(". To answer without a tool: {\"content\": \"<your answer>\"}.").ToString();
    }

    /// <summary>One tool as <c>{"name", "description", "parameters"}</c> JSON (non-ASCII kept).</summary>
    internal static string ToolJson(ToolDefinition tool)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("name", tool.Name);
            if (tool.Description is not null)
                json.WriteString("description", tool.Description);
            json.WritePropertyName("parameters");
            if (tool.Parameters is { } parameters)
                parameters.WriteTo(json);
            else
                json.WriteRawValue("""{"type": "object"}""");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string CallsJson(IReadOnlyList<ChatToolCall> calls)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                json.WriteStartObject();
                json.WriteString("name", call.Name);
                json.WritePropertyName("arguments");
                if (IsJson(call.Arguments))
                    json.WriteRawValue(call.Arguments);
                else
                    json.WriteStringValue(call.Arguments);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
