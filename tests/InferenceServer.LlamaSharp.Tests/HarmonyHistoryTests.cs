namespace InferenceServer.LlamaSharp.Tests;

/// <summary>History shaped for the harmony template: one call per assistant turn, each followed by its result; reasoning as <c>thinking</c>.</summary>
public sealed class HarmonyHistoryTests
{
    private static readonly ChatToolCall A = new("call_a", "get_weather", "{}");
    private static readonly ChatToolCall B = new("call_b", "book_table", "{}");

    [Fact]
    public void A_turn_with_two_calls_becomes_two_turns_each_followed_by_its_result()
    {
        var messages = new List<ChatMessage>
        {
            new("user", "Go."),
            new("assistant", "") { ToolCalls = [A, B], ReasoningContent = "Both." },
            new("tool", "booked") { ToolCallId = "call_b" },
            new("tool", "sunny") { ToolCallId = "call_a" },
            new("tool", "stray") { ToolCallId = "call_x" },
            new("user", "Thanks."),
        };

        var split = HarmonyHistory.SplitCalls(messages);

        Assert.Equal(["user", "assistant", "tool", "assistant", "tool", "tool", "user"], split.Select(m => m.Role));
        Assert.Equal([A], split[1].ToolCalls!);
        Assert.Equal("Both.", split[1].ReasoningContent);
        Assert.Equal("sunny", split[2].Content);
        Assert.Equal([B], split[3].ToolCalls!);
        Assert.Null(split[3].ReasoningContent);
        Assert.Equal(["booked", "stray"], split.Skip(4).Take(2).Select(m => m.Content));
    }

    [Fact]
    public void A_history_without_multi_call_turns_is_left_as_it_is()
    {
        IReadOnlyList<ChatMessage> messages = [new("user", "Go."), new("assistant", "") { ToolCalls = [A] }, new("tool", "x") { ToolCallId = "call_a" }];

        Assert.Same(messages, HarmonyHistory.SplitCalls(messages));
    }

    [Fact]
    public void Reasoning_becomes_thinking_and_a_turn_with_calls_loses_its_text()
    {
        var withCalls = HarmonyHistory.WithThinking(new() { ["role"] = "assistant", ["content"] = "Let me look.", ["reasoning_content"] = "Need data.", ["tool_calls"] = new List<object?>() });
        var answer = HarmonyHistory.WithThinking(new() { ["role"] = "assistant", ["content"] = "Sunny.", ["reasoning_content"] = "Easy." });
        var plain = HarmonyHistory.WithThinking(new() { ["role"] = "assistant", ["content"] = "Hi." });

        Assert.Equal("Need data.", withCalls["thinking"]);
        Assert.False(withCalls.ContainsKey("content"));
        Assert.Equal(("Easy.", "Sunny."), (answer["thinking"], answer["content"]));
        Assert.False(plain.ContainsKey("thinking"));
    }
}
