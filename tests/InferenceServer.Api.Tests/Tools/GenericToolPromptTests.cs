using System.Text.Json;
using InferenceServer.Api.Generation;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>The generic format's prompt: tool list and reply shape in a system message, earlier calls as JSON content.</summary>
public sealed class GenericToolPromptTests
{
    private static readonly ToolDefinition Weather = new("get_weather", "Weather for a city.",
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement.Clone());

    [Fact]
    public void The_instructions_open_the_conversation_and_earlier_calls_become_their_json()
    {
        var call = new ChatToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}");
        var messages = GenericToolPrompt.Apply(
            [new ChatMessage("user", "Weather?"), new ChatMessage("assistant", "") { ToolCalls = [call] }, new ChatMessage("tool", "sunny") { ToolCallId = "call_1" }],
            [Weather], ToolChoice.Auto);

        Assert.Equal(["system", "user", "assistant", "tool"], messages.Select(m => m.Role));
        Assert.Contains("""{"name":"get_weather","description":"Weather for a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}""",
            messages[0].Content);
        Assert.Contains("{\"content\": \"<your answer>\"}", messages[0].Content);
        Assert.Equal("""{"tool_calls":[{"name":"get_weather","arguments":{"city": "Paris"}}]}""", messages[2].Content);
        Assert.Null(messages[2].ToolCalls);
    }

    [Fact]
    public void A_system_message_gets_the_instructions_after_its_text_and_a_named_choice_is_demanded()
    {
        var messages = GenericToolPrompt.Apply([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")],
            [Weather], new ToolChoice(ToolChoiceMode.Named, "get_weather"));

        Assert.Equal(2, messages.Count);
        Assert.StartsWith("Be brief.\n\nYou can call these tools", messages[0].Content);
        Assert.EndsWith("You must call the tool \"get_weather\".", messages[0].Content);
        Assert.DoesNotContain("\"content\"", messages[0].Content);
    }
}
