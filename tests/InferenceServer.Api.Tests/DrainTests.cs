using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>Graceful drain of a real server process on a real SIGTERM while streams run.</summary>
[Collection(ServerCollection.Name)]
public sealed class DrainTests
{
    private static object Stream(int maxTokens) => new
    {
        model = "small", messages = new[] { new { role = "user", content = "hello" } },
        max_tokens = maxTokens, stream = true, ignore_eos = true,
    };

    [Fact]
    public async Task Sigterm_refuses_new_work_lets_short_streams_finish_cancels_the_rest_and_exits_zero()
    {
        // Both streams are running when SIGTERM arrives. The short one then needs three more decode steps, well inside
        // the 2 s drain even on a loaded machine; the long one needs thousands (seconds on the small preset).
        using var server = await TestServerProcess.StartAsync("--Server:DrainTimeout", "00:00:02", "--Engine:MaxSequences", "4",
            "--Model:Path", TestModels.Small, "--Model:Id", "small");
        async Task<List<string>> Read(object body, TaskCompletionSource started)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var events = new List<string>();
            await foreach (var data in SseReader.ReadAsync(response))
            {
                events.Add(data);
                if (data.Contains("\"content\""))
                    started.TrySetResult();
            }
            started.TrySetResult();
            return events;
        }

        TaskCompletionSource endlessStarted = new(), shortStarted = new();
        var endless = Read(Stream(4000), endlessStarted);
        await endlessStarted.Task;
        var shortOne = Read(Stream(4), shortStarted);
        await shortStarted.Task;
        server.Terminate();
        await Poll.UntilAsync(async () => (await server.Http.GetAsync("health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(5), "readiness did not turn 503 on SIGTERM", TimeSpan.FromMilliseconds(20));
        using var refused = await server.Http.PostAsync("v1/chat/completions",
            new StringContent(System.Text.Json.JsonSerializer.Serialize(Stream(5)), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("shutting_down", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]);

        var finished = await shortOne;
        Assert.Equal("[DONE]", finished[^1]);
        Assert.Equal("length", (string?)JsonNode.Parse(finished[^2])!["choices"]![0]!["finish_reason"]);

        var cancelled = await endless;
        Assert.Equal("[DONE]", cancelled[^1]);
        Assert.Equal("cancelled", (string?)JsonNode.Parse(cancelled[^2])!["error"]?["code"]);
        Assert.True(JsonNode.Parse(cancelled[^2])!["error"] is not null, $"expected an error event, got: {cancelled[^2]} after {cancelled.Count} events\n{server.Output}");

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Draining", server.Output);
    }
}
