using System.Net;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Engine.Models;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// A history whose call ids came from another server (<c>call_…</c>) renders on Mistral's templates, which raise on
/// any id but 9 letters and digits: the ids are mapped, consistently between a call and its result.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class MistralCallIdTests(MistralNemoServerFixture nemo) : IClassFixture<MistralNemoServerFixture>
{
    [Fact]
    public void Foreign_ids_map_to_nine_letters_and_digits_the_same_way_every_time()
    {
        var call = new ChatToolCall("call_abc123", "get_weather", "{\"city\": \"Paris\"}");
        IReadOnlyList<ChatMessage> history =
        [
            new("assistant", "") { ToolCalls = [call, call with { Id = "a1b2c3d4e" }] },
            new("tool", "18 C") { ToolCallId = "call_abc123" },
            new("tool", "19 C") { ToolCallId = "a1b2c3d4e" },
        ];

        var adapted = MistralCallIds.Adapt(history);

        string mapped = adapted[0].ToolCalls![0].Id;
        Assert.True(MistralCallIds.IsMistralId(mapped), mapped);
        Assert.Equal(mapped, adapted[1].ToolCallId);
        Assert.Equal("a1b2c3d4e", adapted[0].ToolCalls![1].Id);
        Assert.Equal("a1b2c3d4e", adapted[2].ToolCallId);
        Assert.Equal(mapped, MistralCallIds.Adapt(history)[0].ToolCalls![0].Id);
        Assert.NotEqual(mapped, MistralCallIds.Adapt([new("tool", "x") { ToolCallId = "call_abc124" }])[0].ToolCallId);
        Assert.Same(adapted, MistralCallIds.Adapt(adapted));
    }

    [SkippableFact]
    public async Task A_history_with_openai_style_ids_renders_on_mistral_nemo()
    {
        nemo.SkipIfAbsent();
        var body = new
        {
            model = nemo.Server!.Model.ModelId,
            max_tokens = 1,
            tools = ToolCallingTests.WeatherTools,
            tool_choice = "none",
            messages = new object[]
            {
                new { role = "user", content = "Weather in Paris?" },
                new
                {
                    role = "assistant", content = (string?)null,
                    tool_calls = new[] { new { id = "call_abc123", type = "function", function = new { name = "get_weather", arguments = "{\"city\": \"Paris\"}" } } },
                },
                new { role = "tool", tool_call_id = "call_abc123", content = "18 C" },
            },
        };
        using var response = await nemo.Server.PostAsync("v1/chat/completions", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }
}
