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

    private const int EndlessTokens = 4000;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    [SkippableFact]
    public async Task Sigterm_refuses_new_work_lets_short_streams_finish_cancels_the_rest_and_exits_zero()
    {
        // Both streams are running when SIGTERM arrives. The short one then needs three more decode steps, the long one
        // thousands. Whether the drain window lies between the two depends on this machine's decode speed, so the test
        // measures it first and runs only where the window holds either with a wide margin.
        using var server = await TestServerProcess.StartAsync("--Server:DrainTimeout", DrainTimeout.ToString(), "--Engine:MaxSequences", "4",
            "--Model:Path", TestModels.Small, "--Model:Id", "small");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var endlessTokenTimes = new List<double>();
        async Task<List<string>> Read(object body, TaskCompletionSource started, List<double>? tokenTimes = null)
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
                {
                    started.TrySetResult();
                    if (tokenTimes is not null)
                        lock (tokenTimes)
                            tokenTimes.Add(clock.Elapsed.TotalMilliseconds);
                }
            }
            started.TrySetResult();
            return events;
        }

        TaskCompletionSource endlessStarted = new(), shortStarted = new();
        var endless = Read(Stream(EndlessTokens), endlessStarted, endlessTokenTimes);
        await endlessStarted.Task;
        await Poll.UntilAsync(() => { lock (endlessTokenTimes) return endlessTokenTimes.Count > 16; }, TimeSpan.FromSeconds(60),
            "the long stream did not produce 16 tokens");
        double msPerToken;
        lock (endlessTokenTimes)
            msPerToken = (endlessTokenTimes[16] - endlessTokenTimes[0]) / 16;
        Skip.If(3 * 10 * msPerToken > DrainTimeout.TotalMilliseconds,
            $"decoding at {msPerToken:F1} ms per token, the short stream's three steps do not fit the drain window ten times over");
        Skip.If((EndlessTokens - 100) * msPerToken < 3 * DrainTimeout.TotalMilliseconds,
            $"decoding at {msPerToken:F2} ms per token, the long stream would not outlast the drain window three times over");
        var shortOne = Read(Stream(4), shortStarted);
        await shortStarted.Task;
        server.Terminate();
        await Poll.UntilAsync(async () => (await server.Http.GetAsync("health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(5), "readiness did not turn 503 on SIGTERM", TimeSpan.FromMilliseconds(20));
        using var refused = await server.Http.PostAsync("v1/chat/completions",
            new StringContent(System.Text.Json.JsonSerializer.Serialize(Stream(5)), System.Text.Encoding.UTF8, "application/json"));
        var cancelled = await DrainOutcome.AssertAsync(refused, shortOne, endless);
        Assert.True(JsonNode.Parse(cancelled[^2])!["error"] is not null, $"expected an error event, got: {cancelled[^2]} after {cancelled.Count} events\n{server.Output}");

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Draining", server.Output);
    }
}
