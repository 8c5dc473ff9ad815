using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

[Collection(ServerCollection.Name)]
public sealed class LoadTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private object Request(int i, bool stream, int maxTokens = 20, double temperature = 0, int? seed = null) => new
    {
        model = fixture.ModelId,
        messages = new[] { new { role = "user", content = $"Request number {i}: tell me about the world and its people." } },
        temperature,
        seed,
        max_tokens = maxTokens,
        stream,
    };

    private async Task<string> StreamContent(object body)
    {
        var events = await Server.StreamAsync("v1/chat/completions", body);
        Assert.Equal("[DONE]", events[^1]);
        return string.Concat(events[..^1].Select(e => (string?)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"] ?? ""));
    }

    [Fact]
    public async Task Sixteen_concurrent_streams_each_equal_the_same_request_alone()
    {
        var solo = new List<string>();
        for (int i = 0; i < 16; i++)
            solo.Add(await StreamContent(Request(i, stream: true)));

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => StreamContent(Request(i, stream: true))));

        Assert.Equal(solo, concurrent);
        Assert.True(solo.Distinct().Count() > 1, "different prompts should give different outputs");
        await WaitIdle();
    }

    [Fact]
    public async Task Same_seed_gives_the_same_sample_alone_and_under_load()
    {
        var alone = await StreamContent(Request(1, stream: true, maxTokens: 24, temperature: 1.0, seed: 1234));
        var loaded = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            StreamContent(Request(i == 3 ? 1 : 100 + i, stream: true, maxTokens: 24, temperature: 1.0, seed: i == 3 ? 1234 : 99))));
        var otherSeed = await StreamContent(Request(1, stream: true, maxTokens: 24, temperature: 1.0, seed: 4321));

        Assert.Equal(alone, loaded[3]);
        Assert.NotEqual(alone, otherSeed);
    }

    [Fact]
    public async Task Aborting_a_stream_midway_returns_its_blocks_within_a_second()
    {
        await WaitIdle();
        using var cts = new CancellationTokenSource();
        // A client that drops the connection at once instead of draining the body for reuse, like a closed browser tab.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(Request(7, stream: true, maxTokens: 2000)),
                System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        int chunks = 0, usedWhileStreaming = 0;
        await foreach (var _ in SseReader.ReadAsync(response, cts.Token))
            if (++chunks == 5)
            {
                // Read before leaving the loop: leaving it may already close the connection.
                usedWhileStreaming = Server.Engine.Stats.NumUsedBlocks;
                break;
            }
        Assert.True(usedWhileStreaming > 0, "the sequence should hold blocks while streaming");

        response.Dispose();
        cts.Cancel();
        await Poll.UntilAsync(() => Server.Engine.Stats is { NumRunning: 0, NumUsedBlocks: 0 }, TimeSpan.FromSeconds(1),
            () => $"blocks still held: {Server.Engine.Stats}");
    }

    private Task WaitIdle() =>
        Poll.UntilAsync(() => Server.Engine.Stats is { NumRunning: 0, NumWaiting: 0, NumUsedBlocks: 0 }, TimeSpan.FromSeconds(10),
            () => $"engine not idle: {Server.Engine.Stats}");
}
