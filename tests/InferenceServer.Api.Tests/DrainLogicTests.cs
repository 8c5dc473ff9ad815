using System.Net;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The drain's logic on a host stop, in process on the fake model (see <see cref="ContractCollection"/>);
/// <see cref="DrainTests"/> checks the same on a real SIGTERM to a real server process.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class DrainLogicTests
{
    private static object Stream(string model, int maxTokens) => new
    {
        model, messages = new[] { new { role = "user", content = "hello" } }, max_tokens = maxTokens, stream = true,
    };

    [Fact]
    public async Task A_host_stop_refuses_new_work_lets_short_streams_finish_and_cancels_the_rest()
    {
        // 10 ms a step: the short stream needs half a second, well inside the 2 s drain; the long one 40 s.
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:DrainTimeout"] = "00:00:02", ["Engine:MaxSequences"] = "4",
        }, stepDelay: TimeSpan.FromMilliseconds(10));
        async Task<List<string>> Read(object body, TaskCompletionSource started)
        {
            using var response = await server.PostAsync("v1/chat/completions", body, HttpCompletionOption.ResponseHeadersRead);
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
        var endless = Read(Stream(server.ModelId, 4000), endlessStarted);
        await endlessStarted.Task;
        var shortOne = Read(Stream(server.ModelId, 50), shortStarted);
        await shortStarted.Task;
        // The host runs the drain inside its stopping callbacks, on the thread that asked it to stop.
        var stopping = Task.Run(() => server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
        await Poll.UntilAsync(async () => (await server.Http.GetAsync("health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(5), "readiness did not turn 503 on the host stop", TimeSpan.FromMilliseconds(20));
        using var refused = await server.PostAsync("v1/chat/completions", Stream(server.ModelId, 5));
        await DrainOutcome.AssertAsync(refused, shortOne, endless);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
