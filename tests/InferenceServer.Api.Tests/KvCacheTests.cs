using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>Prefix caching, preemption and KV cache types, each on its own freshly started server.</summary>
[Collection(ServerCollection.Name)]
public sealed class KvCacheTests
{
    private const string Demo = "inference-server-demo";

    private static object Chat(string system, string user, int maxTokens, bool stream = false) => new
    {
        model = Demo,
        messages = new[] { new { role = "system", content = system }, new { role = "user", content = user } },
        temperature = 0, max_tokens = maxTokens, stream,
    };

    private static string Content(JsonNode response) => (string)response["choices"]![0]!["message"]!["content"]!;
    private static int CachedTokens(JsonNode response) => (int)response["usage"]!["prompt_tokens_details"]!["cached_tokens"]!;

    [Fact]
    public async Task A_request_served_from_the_prefix_cache_returns_what_a_fresh_server_returns()
    {
        string system = string.Join(' ', Enumerable.Repeat("You are a helpful assistant for the people of the world.", 8));
        var sinceStart = System.Diagnostics.Stopwatch.StartNew();
        await using var server = await TestServer.StartAsync();

        var fresh = await server.ChatAsync(Chat(system, "What is a river?", 20));
        var cached = await server.ChatAsync(Chat(system, "What is a river?", 20));
        var sharedPrefix = await server.ChatAsync(Chat(system, "Tell me about light.", 20));

        int promptTokens = (int)fresh["usage"]!["prompt_tokens"]!;
        Assert.Equal(0, CachedTokens(fresh));
        Assert.Equal((promptTokens - 1) / 16 * 16, CachedTokens(cached));
        Assert.Equal(Content(fresh), Content(cached));
        Assert.True(CachedTokens(sharedPrefix) >= 64, $"the long system prompt should be reused, got {CachedTokens(sharedPrefix)}");

        var stats = JsonNode.Parse(await server.Http.GetStringAsync("v1/engine/stats"))!;
        Assert.Equal(CachedTokens(cached) + CachedTokens(sharedPrefix), (long)stats["num_cached_prompt_tokens"]!);
        Assert.True((double)stats["prefix_cache_hit_rate"]! > 0.4);
        Assert.True((int)stats["num_cached_blocks"]! > 0);
        // Step profile: the model's forward passes dominate the engine thread's time, scheduling is bookkeeping.
        var times = stats["step_times"]!;
        Assert.True((double)times["execute_ms"]! > 0);
        Assert.True((double)times["execute_ms"]! > (double)times["schedule_ms"]!, times.ToJsonString());
        // Every step spends time in each phase, and the phases run one after another on one thread since the start.
        Assert.True((double)times["update_ms"]! > 0, times.ToJsonString());
        double phasesMs = (double)times["schedule_ms"]! + (double)times["execute_ms"]! + (double)times["update_ms"]!;
        Assert.True(phasesMs < sinceStart.Elapsed.TotalMilliseconds, $"{times.ToJsonString()} in {sinceStart.Elapsed.TotalMilliseconds} ms");
        // The runner's split of the execute phase: forward passes and sampling, both inside it.
        Assert.True((double)times["forward_ms"]! > 0, times.ToJsonString());
        Assert.True((double)times["forward_ms"]! + (double)times["sample_ms"]! <= (double)times["execute_ms"]!, times.ToJsonString());
    }

    [Fact]
    public async Task With_prefix_caching_off_nothing_is_reused()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Engine:PrefixCaching"] = "false" });
        var first = await server.ChatAsync(Chat("Be brief and kind to everyone you meet today.", "Hello there, friend.", 5));
        var second = await server.ChatAsync(Chat("Be brief and kind to everyone you meet today.", "Hello there, friend.", 5));

        Assert.Equal(0, CachedTokens(second));
        Assert.Equal(Content(first), Content(second));
    }

    [Fact]
    public async Task A_small_kv_cache_preempts_yet_every_stream_equals_its_solo_output()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            // Preemption happens only in the unified layout (a per-sequence stream always fits its sequence), so this
            // cannot run in deterministic mode; without flash attention's batch-dependent rounding these short
            // greedy outputs of the demo model stay equal to their solo runs.
            ["Engine:NumBlocks"] = "8", ["Engine:BlockSize"] = "16", ["Engine:PrefixCaching"] = "false", ["Engine:FlashAttention"] = "false",
        });
        var requests = Enumerable.Range(0, 8).Select(i => Chat("Be brief.", $"Question {i}: what do people dream about?", 60, stream: true)).ToList();
        async Task<string> Run(object body) => string.Concat((await server.StreamAsync("v1/chat/completions", body))[..^1]
            .Select(e => (string?)JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"] ?? ""));

        var solo = new List<string>();
        foreach (var r in requests)
            solo.Add(await Run(r));
        Assert.Equal(0, server.Engine.Stats.NumPreemptions);
        var together = await Task.WhenAll(requests.Select(Run));

        Assert.Equal(solo, together);
        var stats = JsonNode.Parse(await server.Http.GetStringAsync("v1/engine/stats"))!;
        Assert.True((long)stats["num_preemptions"]! > 0, "8 sequences of ~80 tokens cannot share 128 cells without preemption");
        Assert.Equal(8, (int)stats["num_free_blocks"]!);

        // A request that could never fit in the whole KV cache is refused up front, not preempted forever.
        using var tooBig = await server.PostAsync("v1/chat/completions", Chat("Be brief.", "Hi", 120));
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.Equal("context_length_exceeded", (string?)JsonNode.Parse(await tooBig.Content.ReadAsStringAsync())!["error"]!["code"]);
    }

    /// <summary>
    /// Once, a prompt longer than the token budget that finished in its prefill step left prefix-cache cells in
    /// llama.cpp that the books counted as free, and every later request needing most of the cache failed (NoKvSlot).
    /// </summary>
    [Fact]
    public async Task A_long_prompt_finishing_in_its_prefill_step_leaves_the_whole_cache_usable()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Engine:NumBlocks"] = "32" });
        object Long(bool stream) => new
        {
            model = Demo, messages = new[] { new { role = "user", content = "Hi" } }, temperature = 0, max_tokens = 490,
            ignore_eos = true, stream,
        };
        var reference = await server.ChatAsync(Long(stream: false));

        string words = string.Join(' ', Enumerable.Repeat("hello world story time", 80));
        var first = await server.ChatAsync(new { model = Demo, messages = new[] { new { role = "user", content = words } }, max_tokens = 1 });
        Assert.True((int)first["usage"]!["prompt_tokens"]! > 256, "the prompt must be longer than one step's token budget");
        Assert.Equal("length", (string?)first["choices"]![0]!["finish_reason"]);

        var streamed = string.Concat((await server.StreamAsync("v1/chat/completions", Long(stream: true)))[..^1]
            .Select(e => (string?)JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"] ?? ""));
        Assert.Equal(Content(reference), streamed);
        for (int i = 0; i < 3; i++)
            Assert.Equal(Content(reference), Content(await server.ChatAsync(Long(stream: false))));
        // Four at once need four times the cache: they preempt each other, and all complete. (Their text is not compared:
        // a preempted sequence recomputes its generated tokens in 256-token chunks, whose float rounding differs from
        // one token at a time, and over 490 greedy tokens of random weights a near-tie can flip.)
        var together = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.ChatAsync(Long(stream: false))));
        Assert.All(together, r => Assert.Equal(490, (int)r["usage"]!["completion_tokens"]!));
        Assert.True(server.Engine.Stats.NumPreemptions > 0);

        var stats = JsonNode.Parse(await server.Http.GetStringAsync("v1/engine/stats"))!;
        Assert.Equal(32, (int)stats["num_free_blocks"]!);
        Assert.Equal(0, (long)stats["num_failed_steps"]!);
        Assert.Equal(490, (int)reference["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Deterministic_mode_gives_every_greedy_and_seeded_stream_its_solo_output_under_load()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Engine:Deterministic"] = "true", ["Engine:NumBlocks"] = "64", ["Engine:MaxSequences"] = "4", ["Engine:MaxBatchTokens"] = "32",
        });
        var caps = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.True((bool)caps["deterministic"]!);
        Assert.Equal("per_sequence", (string?)caps["kv_layout"]);
        object Request(int i) => new
        {
            model = Demo, max_tokens = 24, stream = true, n = i % 3 == 0 ? 2 : 1,
            temperature = i % 2 == 0 ? 0 : 1.2, seed = 100 + i,
            messages = new[] { new { role = "user", content = $"Question {i}: what do people dream about when the {i} rivers rise?" } },
        };
        async Task<string> Run(object body) => string.Join("|", (await server.StreamAsync("v1/chat/completions", body))[..^1]
            .Select(e => JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault())
            .Where(c => c?["delta"]?["content"] is not null)
            .GroupBy(c => (int)c!["index"]!)
            .OrderBy(g => g.Key)
            .Select(g => string.Concat(g.Select(c => (string?)c!["delta"]!["content"]))));

        var solo = new List<string>();
        for (int i = 0; i < 8; i++)
            solo.Add(await Run(Request(i)));
        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Run(Request(i))));

        Assert.Equal(solo, together);
        Assert.Equal(8, solo.Distinct().Count());
    }

    [Fact]
    public async Task Deterministic_mode_reuses_a_shared_system_prompt_from_slots_and_running_streams_without_changing_a_token()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Engine:Deterministic"] = "true", ["Engine:NumBlocks"] = "64", ["Engine:MaxSequences"] = "4", ["Engine:MaxBatchTokens"] = "32",
        });
        string system = string.Join(' ', Enumerable.Repeat("You answer questions about rivers, houses and the people of the world.", 3));
        string[] questions = ["What is a river?", "Who lives in a house?", "Why do people dream?", "Where does the light go?", "How old is the sea?"];

        var solo = new List<JsonNode>();
        foreach (var q in questions)
            solo.Add(await server.ChatAsync(Chat(system, q, 12)));
        var together = await Task.WhenAll(questions.Select(q => server.ChatAsync(Chat(system, q, 12))));

        Assert.Equal(solo.Select(Content), together.Select(Content));
        Assert.Equal(0, CachedTokens(solo[0]));
        // Every later request finds the system prompt in a free slot or a running stream, in whole chunks of 32 tokens.
        Assert.All(solo.Skip(1).Concat(together), r => Assert.True(CachedTokens(r) >= 32 && CachedTokens(r) % 32 == 0, r.ToJsonString()));
    }

    [Fact]
    public async Task Per_sequence_streams_serve_choices_reuse_a_slots_prefix_and_cap_each_request_at_its_stream()
    {
        // 64 blocks of 16 tokens over 4 sequences: streams of 256 cells.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Engine:KvLayout"] = "PerSequence", ["Engine:NumBlocks"] = "64", ["Engine:MaxSequences"] = "4",
        });
        Assert.Equal(256, server.Engine.Model!.MaxModelLength);
        var caps = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("per_sequence", (string?)caps["kv_layout"]);
        Assert.True((bool)caps["prefix_caching"]!);
        Assert.Equal(256, (int)caps["max_model_len"]!);

        var solo = await server.ChatAsync(Chat("Be brief.", "What is a river?", 24));
        // The same request again goes to the slot that kept the first one's cells: all but its last prompt token reused.
        var again = await server.ChatAsync(Chat("Be brief.", "What is a river?", 24));
        int promptTokens = (int)solo["usage"]!["prompt_tokens"]!;
        Assert.Equal(0, CachedTokens(solo));
        Assert.Equal(promptTokens - 1, CachedTokens(again));
        Assert.Equal(Content(solo), Content(again));
        var body = new
        {
            model = Demo, messages = new[] { new { role = "user", content = "What is a river?" } }, temperature = 0, max_tokens = 24, n = 3,
        };
        var withSystem = new
        {
            model = Demo, messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "What is a river?" } },
            temperature = 0, max_tokens = 24, n = 3,
        };
        var three = await server.ChatAsync(withSystem);
        Assert.All(three["choices"]!.AsArray(), c => Assert.Equal(Content(solo), (string?)c!["message"]!["content"]));
        Assert.Equal(promptTokens - 1, CachedTokens(three));
        var userOnly = await server.ChatAsync(body);
        Assert.True(CachedTokens(userOnly) < (int)userOnly["usage"]!["prompt_tokens"]! - 1);
        var stats = JsonNode.Parse(await server.Http.GetStringAsync("v1/engine/stats"))!;
        Assert.Equal(2 * (promptTokens - 1) + CachedTokens(userOnly), (long)stats["num_cached_prompt_tokens"]!);

        using var tooLong = await server.PostAsync("v1/chat/completions", Chat("Be brief.", "Hi", 250));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("context_length_exceeded", (string?)JsonNode.Parse(await tooLong.Content.ReadAsStringAsync())!["error"]!["code"]);
        Assert.Equal(64, server.Engine.Stats.NumFreeBlocks);
    }

    [Theory]
    [InlineData("f16", 3072)]
    [InlineData("q8_0", 1632)]
    [InlineData("q4_0", 864)]
    public async Task Kv_cache_type_sets_bytes_per_token_and_still_generates(string type, double bytesPerToken)
    {
        // Small preset: 6 layers × 2 KV heads × head size 64, so bytes/token = 2 × 6 × 2 × 64 × bytes per element.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = TestModels.Small, ["Engine:KvCacheType"] = type, ["Engine:NumBlocks"] = "64",
        });
        var stats = JsonNode.Parse(await server.Http.GetStringAsync("v1/engine/stats"))!["kv_cache"]!;
        Assert.Equal(type, (string)stats["type"]!);
        Assert.Equal(bytesPerToken, (double)stats["bytes_per_token"]!);
        Assert.Equal((long)(bytesPerToken * 64 * 16), (long)stats["total_bytes"]!);
        Assert.Equal(4.0, (double)stats["gqa_ratio"]!);

        using var response = await server.PostAsync("v1/completions",
            new { model = server.Model.ModelId, prompt = "The people of the world", max_tokens = 8, temperature = 0 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(8, (int)body["usage"]!["completion_tokens"]!);
    }
}
