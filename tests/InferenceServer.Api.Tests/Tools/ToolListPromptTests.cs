using System.Text.Json;
using InferenceServer.Api.Generation;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>The tool list for templates that render calls but not the tools (DeepSeek): a system message with the tools and the call syntax.</summary>
public sealed class ToolListPromptTests
{
    private static readonly ToolDefinition Weather = new("get_weather", "Weather for a city.",
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement.Clone());

    [Theory]
    [InlineData(ToolCallFormat.DeepSeekR1, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜><tool name>\n```json\n{<arguments>}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>")]
    [InlineData(ToolCallFormat.DeepSeekV31, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜><tool name><｜tool▁sep｜>{<arguments>}<｜tool▁call▁end｜><｜tool▁calls▁end｜>")]
    public void The_tools_and_the_formats_call_syntax_open_the_conversation(ToolCallFormat format, string example)
    {
        var messages = ToolListPrompt.Apply([new ChatMessage("user", "Weather?")], [Weather], format);

        Assert.Equal(["system", "user"], messages.Select(m => m.Role));
        Assert.Contains("""{"name":"get_weather","description":"Weather for a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}""",
            messages[0].Content);
        Assert.EndsWith("To call tools, write:\n" + example, messages[0].Content);
    }

    [Fact]
    public void A_system_message_gets_the_list_after_its_text_and_other_formats_are_left_alone()
    {
        var conversation = new[] { new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi") };

        var messages = ToolListPrompt.Apply(conversation, [Weather], ToolCallFormat.DeepSeekV31);

        Assert.Equal(2, messages.Count);
        Assert.StartsWith("Be brief.\n\nYou can call these tools", messages[0].Content);
        Assert.Same(conversation, ToolListPrompt.Apply(conversation, [Weather], ToolCallFormat.Hermes));
    }
}
