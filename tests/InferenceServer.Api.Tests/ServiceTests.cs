using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>Probes, swagger, models, stats, the not-ready state and the waiting queue's limit; on the fake model (see <see cref="ContractCollection"/>).</summary>
[Collection(ContractCollection.Name)]
public sealed class ServiceTests(ContractServerFixture fixture)
{
    private static readonly object[] Hello = [new { role = "user", content = "hello" }];

    [Fact]
    public async Task Health_swagger_models_and_stats_are_served()
    {
        var http = fixture.Server.Http;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);

        var swagger = JsonNode.Parse(await http.GetStringAsync("swagger/v1/swagger.json"))!;
        var paths = swagger["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/v1/chat/completions", paths);
        Assert.Contains("/v1/completions", paths);
        Assert.Contains("/v1/models", paths);
        Assert.Contains("/v1/engine/stats", paths);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("swagger/index.html")).StatusCode);

        var models = JsonNode.Parse(await http.GetStringAsync("v1/models"))!;
        Assert.Equal("list", (string)models["object"]!);
        Assert.Equal("inference-server-demo", (string)models["data"]![0]!["id"]!);

        var stats = JsonNode.Parse(await http.GetStringAsync("v1/engine/stats"))!;
        Assert.True((bool)stats["ready"]!);
        Assert.Equal(16, (int)stats["block_size"]!);
        Assert.Equal((int)stats["num_blocks"]!, (int)stats["num_free_blocks"]! + (int)stats["num_used_blocks"]!);
    }

    [Fact]
    public async Task Markdown_is_rendered_up_to_its_length_limit_and_longer_text_is_refused_naming_the_field()
    {
        var server = fixture.Server;
        int max = Page.PageEndpoints.MaxMarkdownChars;
        string atLimit = "# Title\n\n" + new string('x', max - 9);

        using var ok = await server.PostAsync("v1/render/markdown", new { text = atLimit });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.StartsWith("<h1>Title</h1>", (string)JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["html"]!);

        // Unclosed links cost the parser more than linear time: past the limit nothing is parsed.
        using var tooLong = await server.PostAsync("v1/render/markdown", new { text = string.Concat(Enumerable.Repeat("[a](", max / 4 + 1)) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var error = JsonNode.Parse(await tooLong.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(("text", "string_above_max_length"), ((string?)error["param"], (string?)error["code"]));
        Assert.Contains($"maximum length {max}, but got a string with length {max + 4}", (string)error["message"]!);
    }

    [Fact]
    public async Task Before_the_model_is_loaded_ready_and_generation_answer_503_then_200()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartFakeAsync(gate: gate);

        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Http.GetAsync("health/ready")).StatusCode);
        using var early = await server.PostAsync("v1/chat/completions", new { model = "inference-server-demo", messages = Hello });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.Equal("model_not_ready", (string?)JsonNode.Parse(await early.Content.ReadAsStringAsync())!["error"]!["code"]);

        gate.SetResult();
        await server.WaitReadyAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("health/ready")).StatusCode);
        var ok = await server.ChatAsync(new { model = "inference-server-demo", messages = Hello, max_tokens = 2 });
        Assert.Equal(2, (int)ok["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task A_full_waiting_queue_answers_429_with_retry_after_and_loses_nothing()
    {
        // 2 ms a step: the 3000-token request is surely still running (6 s) while the second waits and the third is refused.
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Engine:MaxSequences"] = "1", ["Engine:MaxWaiting"] = "1", ["Engine:NumBlocks"] = "256",
        }, stepDelay: TimeSpan.FromMilliseconds(2));
        string model = server.ModelId;
        object Long(int n) => new { model, messages = Hello, max_tokens = n, stream = true, temperature = 0, ignore_eos = true };

        var running = server.StreamAsync("v1/chat/completions", Long(3000));
        await WaitFor(() => server.Engine.Stats.NumRunning == 1);
        var waiting = server.StreamAsync("v1/chat/completions", Long(3));
        await WaitFor(() => server.Engine.Stats.NumWaiting == 1);

        using var refused = await server.PostAsync("v1/chat/completions", Long(3));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Equal("rate_limit_error", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["type"]);

        var done = await Task.WhenAll(running, waiting);
        Assert.All(done, events => Assert.Equal("[DONE]", events[^1]));
        Assert.Equal(3003, server.Engine.Stats.NumGeneratedTokens);
    }

    private static Task WaitFor(Func<bool> condition) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(10), "condition not met in time", TimeSpan.FromMilliseconds(5));
}
