using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>SSE framing and stop strings, streamed and whole; on the fake model (see <see cref="ContractCollection"/>).</summary>
[Collection(ContractCollection.Name)]
public sealed class StreamingTests(ContractServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private object Chat(int maxTokens, bool stream, bool includeUsage = false, object? stop = null, string content = "Tell me a story.") => new
    {
        model = fixture.ModelId,
        messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content } },
        temperature = 0,
        max_tokens = maxTokens,
        stream,
        stream_options = includeUsage ? new { include_usage = true } : null,
        stop,
    };

    [Fact]
    public async Task Chat_stream_sends_role_then_content_then_finish_then_usage_then_done()
    {
        var events = await Server.StreamAsync("v1/chat/completions", Chat(12, stream: true, includeUsage: true));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Single(chunks.Select(c => (string)c["id"]!).Distinct());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        Assert.All(chunks.Skip(1), c => Assert.Null(c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["role"]));

        var finish = chunks[^2]["choices"]![0]!;
        Assert.Equal("length", (string)finish["finish_reason"]!);
        Assert.All(chunks.Take(chunks.Count - 2), c => Assert.Null(c["choices"]![0]!["finish_reason"]));

        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(12, (int)usageChunk["usage"]!["completion_tokens"]!);
        int prompt = (int)usageChunk["usage"]!["prompt_tokens"]!;
        Assert.True(prompt > 10);
        Assert.Equal(prompt + 12, (int)usageChunk["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Usage_chunk_is_sent_only_when_asked_for()
    {
        var events = await Server.StreamAsync("v1/chat/completions", Chat(4, stream: true));

        Assert.Equal("[DONE]", events[^1]);
        Assert.All(events[..^1], e => Assert.Null(JsonNode.Parse(e)!["usage"]));
        Assert.Equal("length", (string)JsonNode.Parse(events[^2])!["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public async Task Streamed_content_equals_the_non_streamed_content_at_temperature_zero()
    {
        var whole = await Server.ChatAsync(Chat(24, stream: false));
        var events = await Server.StreamAsync("v1/chat/completions", Chat(24, stream: true));

        string streamed = string.Concat(events[..^1].Select(e => (string?)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"] ?? ""));
        string content = (string)whole["choices"]![0]!["message"]!["content"]!;
        Assert.False(string.IsNullOrEmpty(content));
        Assert.Equal(content, streamed);
        Assert.Equal(24, (int)whole["usage"]!["completion_tokens"]!);
        Assert.Equal("chat.completion", (string)whole["object"]!);
        Assert.Equal(fixture.ModelId, (string)whole["model"]!);
    }

    [Fact]
    public async Task Completions_stream_matches_the_whole_completion()
    {
        var body = new { model = fixture.ModelId, prompt = "The people of the world", temperature = 0, max_tokens = 16 };
        using var response = await Server.PostAsync("v1/completions", body);
        var whole = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var events = await Server.StreamAsync("v1/completions",
            new { model = fixture.ModelId, prompt = "The people of the world", temperature = 0, max_tokens = 16, stream = true });

        Assert.Equal("text_completion", (string)whole["object"]!);
        string text = (string)whole["choices"]![0]!["text"]!;
        Assert.Equal(text, string.Concat(events[..^1].Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["text"]!)));
        Assert.Equal("length", (string)JsonNode.Parse(events[^2])!["choices"]![0]!["finish_reason"]!);
        Assert.Equal("[DONE]", events[^1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_part_of_a_stop_string_is_ever_sent(bool stream)
    {
        string reference = (string)(await Server.ChatAsync(Chat(30, stream: false)))["choices"]![0]!["message"]!["content"]!;
        // A stop string that the greedy output contains: three characters from its middle.
        int at = reference.Length / 2;
        string stop = reference.Substring(at, 3);
        string expected = reference[..reference.IndexOf(stop, StringComparison.Ordinal)];

        string content;
        string finishReason;
        if (stream)
        {
            var events = await Server.StreamAsync("v1/chat/completions", Chat(30, stream: true, stop: new[] { "never-there", stop }));
            var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
            content = string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));
            finishReason = (string)chunks[^1]["choices"]![0]!["finish_reason"]!;
        }
        else
        {
            var whole = await Server.ChatAsync(Chat(30, stream: false, stop: stop));
            content = (string)whole["choices"]![0]!["message"]!["content"]!;
            finishReason = (string)whole["choices"]![0]!["finish_reason"]!;
        }

        Assert.Equal(expected, content);
        Assert.Equal("stop", finishReason);
    }
}
