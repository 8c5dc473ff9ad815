using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>Metrics, API keys, limits and CORS, each on its own server on the fake model (see <see cref="ContractCollection"/>).</summary>
[Collection(ContractCollection.Name)]
public sealed class OperationsTests
{
    private const string Model = "inference-server-demo";
    private static readonly object[] Hello = [new { role = "user", content = "hello" }];

    private static HttpRequestMessage Chat(string? key, int maxTokens = 3, bool stream = false, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent(new { model = Model, messages = Hello, max_tokens = maxTokens, stream, ignore_eos = true }),
        };
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return request;
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<string?> ErrorCode(HttpResponseMessage response) =>
        (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"];

    [Fact]
    public async Task Metrics_expose_engine_books_and_request_latencies_in_prometheus_format()
    {
        await using var server = await TestServer.StartFakeAsync();
        await server.StreamAsync("v1/chat/completions", new { model = Model, messages = Hello, max_tokens = 5, stream = true, ignore_eos = true });
        using (await server.PostJsonAsync("v1/chat/completions", "{\"model\":\"" + Model + "\"}")) { }

        string text = await server.Http.GetStringAsync("metrics");
        double Value(string series) => double.Parse(text.Split('\n').Single(l => l.StartsWith(series + " ")).Split(' ')[1],
            System.Globalization.CultureInfo.InvariantCulture);

        var stats = server.Engine.Stats;
        Assert.Equal(0, Value("inference_server_num_requests_running"));
        Assert.Equal(0, Value("inference_server_num_requests_waiting"));
        Assert.Equal(0, Value("inference_server_kv_cache_usage_ratio"));
        Assert.Equal(1, Value($"inference_server_cache_config_info{{block_size=\"16\",num_blocks=\"{stats.NumBlocks}\",cache_dtype=\"f16\"}}"));
        Assert.Equal(stats.NumPromptTokens, Value("inference_server_prompt_tokens_total"));
        Assert.Equal(stats.NumPromptTokens, Value("inference_server_prefix_cache_queried_tokens_total"));
        Assert.Equal(stats.NumCachedPromptTokens, Value("inference_server_prefix_cache_hit_tokens_total"));
        Assert.Equal(5, Value("inference_server_generation_tokens_total"));
        Assert.Equal(0, Value("inference_server_preemptions_total"));
        Assert.Equal(0, Value("inference_server_failed_steps_total"));
        Assert.Equal(1, Value("inference_server_requests_finished_total{finish_reason=\"length\"}"));
        Assert.Equal(1, Value("inference_server_http_requests_total{endpoint=\"chat.completions\",status=\"200\"}"));
        Assert.Equal(1, Value("inference_server_http_requests_total{endpoint=\"chat.completions\",status=\"400\"}"));
        Assert.Equal(1, Value("inference_server_time_to_first_token_seconds_count"));
        Assert.Equal(4, Value("inference_server_inter_token_latency_seconds_count"));
        Assert.Equal(1, Value("inference_server_e2e_request_latency_seconds_count"));
        Assert.Equal(1, Value("inference_server_request_queue_time_seconds_count"));
    }

    [Fact]
    public async Task With_api_keys_requests_need_a_valid_bearer_key_but_probes_and_metrics_stay_open()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:ApiKeys:0"] = "key-one", ["Server:ApiKeys:1"] = "key-two",
        });

        using var none = await server.Http.SendAsync(Chat(null));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("invalid_api_key", await ErrorCode(none));
        using var wrong = await server.Http.SendAsync(Chat("key-three"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var models = await server.Http.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);

        Assert.Contains("inference_server_http_requests_total{endpoint=\"chat.completions\",status=\"401\"} 2",
            await server.Http.GetStringAsync("metrics"));
        using var right = await server.Http.SendAsync(Chat("key-two"));
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("metrics")).StatusCode);

        var sdk = new OpenAI.Chat.ChatClient(Model, new System.ClientModel.ApiKeyCredential("key-one"),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        var completion = await sdk.CompleteChatAsync([new OpenAI.Chat.UserChatMessage("hi")],
            new OpenAI.Chat.ChatCompletionOptions { MaxOutputTokenCount = 2 });
        Assert.Equal(2, completion.Value.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Metrics_can_be_closed_behind_the_keys()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:ApiKeys:0"] = "k", ["Server:OpenMetricsEndpoint"] = "false",
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.GetAsync("metrics")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new("Bearer", "k") } };
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Per_key_concurrency_and_rate_limits_answer_429_with_retry_after()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:ApiKeys:0"] = "a", ["Server:ApiKeys:1"] = "b",
            ["Server:MaxConcurrentRequestsPerKey"] = "1", ["Server:RequestsPerMinutePerKey"] = "3",
        }, stepDelay: TimeSpan.FromMilliseconds(10)); // the 3000-token stream runs for 30 s unless hung up
        using var running = await server.Http.SendAsync(Chat("a", maxTokens: 3000, stream: true), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);

        using var second = await server.Http.SendAsync(Chat("a"));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("rate_limit_exceeded", await ErrorCode(second));
        Assert.NotNull(second.Headers.RetryAfter);
        using var otherKey = await server.Http.SendAsync(Chat("b"));
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);

        running.Dispose();
        // Key b has used 1 of its 3 requests this minute.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Chat("b"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Chat("b"))).StatusCode);
        using var overRate = await server.Http.SendAsync(Chat("b"));
        Assert.Equal(HttpStatusCode.TooManyRequests, overRate.StatusCode);
        Assert.InRange(overRate.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        // Retry-After is what is left of the minute that began with b's first request, not a whole minute.
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var later = await server.Http.SendAsync(Chat("b"));
        Assert.Equal(HttpStatusCode.TooManyRequests, later.StatusCode);
        Assert.InRange(later.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(58));
        Assert.Contains("inference_server_http_requests_total{endpoint=\"chat.completions\",status=\"429\"} 3",
            await server.Http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task Prompt_and_max_tokens_ceilings_are_enforced_with_400()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            // The fake model's tokens are bytes: its one-message chat prompt is 22 tokens, the 40 words 239.
            ["Server:MaxPromptTokens"] = "40", ["Server:MaxTokensCeiling"] = "7",
        });
        using var longPrompt = await server.PostAsync("v1/completions", new { model = Model, prompt = string.Join(' ', Enumerable.Repeat("world", 40)) });
        Assert.Equal(HttpStatusCode.BadRequest, longPrompt.StatusCode);
        Assert.Equal("prompt_too_long", await ErrorCode(longPrompt));

        using var tooMany = await server.PostAsync("v1/completions", new { model = Model, prompt = "hi", max_tokens = 8 });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("max_tokens", (string?)JsonNode.Parse(await tooMany.Content.ReadAsStringAsync())!["error"]!["param"]);

        using var completionField = await server.PostAsync("v1/chat/completions", new { model = Model, messages = Hello, max_completion_tokens = 9 });
        Assert.Equal("max_completion_tokens", (string?)JsonNode.Parse(await completionField.Content.ReadAsStringAsync())!["error"]!["param"]);

        using var defaulted = await server.PostAsync("v1/completions", new { model = Model, prompt = "hi", ignore_eos = true });
        Assert.Equal(7, (int)JsonNode.Parse(await defaulted.Content.ReadAsStringAsync())!["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Cors_preflight_and_streaming_work_for_a_configured_origin_only()
    {
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:CorsOrigins:0"] = "http://app.example", ["Server:ApiKeys:0"] = "k",
        });
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        preflight.Headers.Add("Origin", "http://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var allowed = await server.Http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("http://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("authorization", allowed.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);

        using var stream = await server.Http.SendAsync(Chat("k", maxTokens: 4, stream: true, origin: "http://app.example"),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("http://app.example", stream.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("[DONE]", (await SseReader.ReadAllAsync(stream))[^1]);

        using var other = await server.Http.SendAsync(Chat("k", origin: "http://evil.example"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Contains("Origin", other.Headers.Vary);
    }
}
