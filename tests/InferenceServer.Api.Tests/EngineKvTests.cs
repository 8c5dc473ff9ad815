using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>
/// <c>GET /v1/engine/kv</c> and its stream on a real server: the JSON contract, live blocks, drain, auth (the last two
/// on the fake model, see <see cref="ContractCollection"/>).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class EngineKvTests(DemoServerFixture fixture)
{
    private static readonly string[] SnapshotKeys =
    [
        "num_blocks", "block_size", "num_free_blocks", "num_empty_blocks", "num_in_use_blocks", "num_cached_idle_blocks", "num_shared_blocks",
        "num_running", "num_waiting", "prefix_cache_hit_rate", "num_prompt_tokens", "num_cached_prompt_tokens",
        "num_evictions", "num_preemptions", "num_steps", "blocks", "sequences",
    ];
    private static readonly string[] BlockKeys = ["block_id", "state", "ref_count", "sequence_ids", "chain_depth", "cached", "prefix_cache_hit"];
    private static readonly string[] SequenceKeys =
    [
        "sequence_id", "choice_index", "num_prompt_tokens", "num_output_tokens", "num_computed_tokens", "num_cached_tokens",
        "num_preemptions", "block_table",
    ];

    private TestServer Server => fixture.Server;

    private static string[] Keys(JsonNode? node) => node!.AsObject().Select(p => p.Key).ToArray();

    private static object LongChat(string modelId, string content) => new
    {
        model = modelId, messages = new[] { new { role = "user", content } }, max_tokens = 3900, ignore_eos = true, stream = true,
    };

    private async Task<JsonNode> SnapshotAsync()
    {
        using var response = await Server.Http.GetAsync("v1/engine/kv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task The_snapshot_shows_a_running_sequence_holding_its_blocks_and_its_cached_prompt_blocks_idle_after_it()
    {
        await WarmUpAsync();
        // 40 words make several full blocks of prompt, which the prefix cache keeps after the request.
        string prompt = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 5)) + " " + Guid.NewGuid();
        using var cancel = new CancellationTokenSource();
        var streaming = ReadUntilCancelledAsync(LongChat(fixture.ModelId, prompt), cancel.Token);

        var running = await SnapshotWhenAsync(s => s["sequences"]!.AsArray().Count > 0);

        Assert.Equal(SnapshotKeys, Keys(running));
        int numBlocks = (int)running["num_blocks"]!;
        var blocks = running["blocks"]!.AsArray();
        Assert.Equal(numBlocks, blocks.Count);
        Assert.Equal(Enumerable.Range(0, numBlocks), blocks.Select(b => (int)b!["block_id"]!));
        Assert.All(blocks, b => Assert.Equal(BlockKeys, Keys(b)));
        Assert.All(blocks, b => Assert.Contains((string)b!["state"]!, new[] { "free", "in_use", "cached_idle" }));
        Assert.Equal(numBlocks, (int)running["num_empty_blocks"]! + (int)running["num_in_use_blocks"]! + (int)running["num_cached_idle_blocks"]!);
        // Free as in /v1/engine/stats: held by no sequence, idle cached blocks included.
        Assert.Equal(numBlocks - (int)running["num_in_use_blocks"]!, (int)running["num_free_blocks"]!);
        Assert.Equal((int)running["num_empty_blocks"]!, blocks.Count(b => (string)b!["state"]! == "free"));
        Assert.Equal((int)running["num_in_use_blocks"]!, blocks.Count(b => (string)b!["state"]! == "in_use"));
        var sequence = Assert.Single(running["sequences"]!.AsArray())!;
        Assert.Equal(SequenceKeys, Keys(sequence));
        Assert.Equal(1, (int)running["num_running"]!);
        var table = sequence["block_table"]!.AsArray().Select(id => (int)id!).ToList();
        Assert.True(table.Count >= 2, $"a prompt of several blocks, got {table.Count}");
        long id = (long)sequence["sequence_id"]!;
        foreach (var (blockId, depth) in table.Select((b, i) => (b, i)))
        {
            var block = blocks[blockId]!;
            Assert.Equal(("in_use", 1, depth), ((string)block["state"]!, (int)block["ref_count"]!, (int)block["chain_depth"]!));
            Assert.Equal([id], block["sequence_ids"]!.AsArray().Select(s => (long)s!));
        }

        await cancel.CancelAsync();
        await streaming;
        await WaitForAsync(() => Server.Engine.Stats is { NumRunning: 0, NumUsedBlocks: 0 });
        var after = await SnapshotAsync();

        Assert.Empty(after["sequences"]!.AsArray());
        Assert.Equal(0, (int)after["num_in_use_blocks"]!);
        // The prompt's full blocks stay in the prefix cache, idle, at their depth in the chain.
        var idle = table.Take(2).Select(b => after["blocks"]![b]!).ToList();
        Assert.All(idle, b => Assert.Equal(("cached_idle", true, 0), ((string)b["state"]!, (bool)b["cached"]!, (int)b["ref_count"]!)));
        Assert.Equal([0, 1], idle.Select(b => (int)b["chain_depth"]!));
    }

    [Fact]
    public async Task The_stream_sends_snapshots_until_the_client_leaves_and_refuses_a_too_short_interval()
    {
        using var response = await Server.Http.GetAsync("v1/engine/kv/stream?interval_ms=200", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var received = new List<JsonNode>();
        await foreach (var data in SseReader.ReadAsync(response))
        {
            received.Add(JsonNode.Parse(data)!);
            if (received.Count == 2)
                break;
        }
        Assert.All(received, s => Assert.Equal(SnapshotKeys, Keys(s)));

        using var tooFast = await Server.Http.GetAsync("v1/engine/kv/stream?interval_ms=50");
        Assert.Equal(HttpStatusCode.BadRequest, tooFast.StatusCode);
        Assert.Equal("interval_ms", (string?)JsonNode.Parse(await tooFast.Content.ReadAsStringAsync())!["error"]!["param"]);
        foreach (var bad in new[] { "abc", "1e3", "500.5", "" })
        {
            using var refused = await Server.Http.GetAsync($"v1/engine/kv/stream?interval_ms={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("interval_ms", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["param"]);
        }
    }

    [Fact]
    public async Task Swagger_describes_the_snapshot()
    {
        var swagger = JsonNode.Parse(await Server.Http.GetStringAsync("swagger/v1/swagger.json"))!;
        Assert.NotNull(swagger["paths"]!["/v1/engine/kv"]!["get"]);
        Assert.NotNull(swagger["paths"]!["/v1/engine/kv/stream"]!["get"]);
        // Swashbuckle names properties in camelCase; the wire uses snake_case (the same holds for every schema here).
        var properties = swagger["components"]!["schemas"]!["KvCacheSnapshot"]!["properties"]!.AsObject().Select(p => p.Key.ToLowerInvariant());
        Assert.Equal(SnapshotKeys.Select(k => k.Replace("_", "")).Order(), properties.Order());
    }

    [Fact]
    public async Task The_stream_ends_when_the_server_starts_draining()
    {
        await using var server = await TestServer.StartFakeAsync();
        using var response = await server.Http.GetAsync("v1/engine/kv/stream?interval_ms=200", HttpCompletionOption.ResponseHeadersRead);
        await using var events = SseReader.ReadAsync(response).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The stream ends on its own (no client cancellation) well before any shutdown timeout.
        var end = Task.Run(async () => { while (await events.MoveNextAsync()) { } });
        await end.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task With_api_keys_the_pages_are_open_and_the_kv_endpoints_need_the_key()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?> { ["Server:ApiKeys:0"] = "kv-key" });

        foreach (string path in new[] { "", "kv", "ui/chat.js", "ui/kv.js", "ui/common.js", "ui/style.css" })
        {
            using var page = await server.Http.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"/{path}: {(int)page.StatusCode}");
            using var head = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD /{path}: {(int)head.StatusCode}");
        }
        using var refused = await server.Http.GetAsync("v1/engine/kv");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/engine/kv") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "kv-key") } };
        using var allowed = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    /// <summary>A first request and snapshot, so the code paths are compiled before a test watches a running request.</summary>
    private async Task WarmUpAsync()
    {
        await Server.ChatAsync(new { model = fixture.ModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2 });
        await SnapshotAsync();
    }

    private async Task ReadUntilCancelledAsync(object body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Server.PostAsync("v1/chat/completions", body, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            await SseReader.ReadAllAsync(response, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private Task<JsonNode> SnapshotWhenAsync(Func<JsonNode, bool> condition) =>
        Poll.UntilAsync(SnapshotAsync, condition, TimeSpan.FromSeconds(60), _ => "the snapshot never met the condition");

    private static Task WaitForAsync(Func<bool> condition) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(30), "condition not met in time");
}
