using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Engine;
using InferenceServer.Engine.Sequences;
using LLama;
using LLama.Common;
using LLama.Sampling;

namespace InferenceServer.Bench;

/// <summary>
/// Any OpenAI-compatible server (this one, llama.cpp's llama-server, vLLM): streaming <c>/v1/completions</c> with the
/// prompt as token ids, <c>ignore_eos</c> and <c>max_tokens</c>, so every request has the same length everywhere.
/// TTFT is the first chunk with text; output tokens come from the usage chunk. Every request opens a fresh connection
/// (<c>Connection: close</c>), as the peer comparisons were measured, so no target gains from keep-alive.
/// </summary>
/// <param name="name">Row label.</param>
/// <param name="baseUrl">The server's <c>/v1/</c> URL.</param>
/// <param name="model">Model id to request.</param>
/// <param name="logprobs">Legacy <c>logprobs</c> (top tokens, 0–5) to ask for with every token; null asks for none.</param>
internal sealed class OpenAiHttpTarget(string name, Uri baseUrl, string model, int? logprobs = null) : ILoadTarget
{
    // The level's own time limit (LoadSweep) cancels a request; the client has none.
    private readonly HttpClient _http = BenchHttp.CreateClient(baseUrl);

    public string Name { get; } = name;

    public async Task<RequestTiming> RunAsync(int[] prompt, int outputTokens, CancellationToken cancellationToken)
    {
        var fields = JsonSerializer.SerializeToNode(new
        {
            model, prompt, max_tokens = outputTokens, temperature = 0, stream = true, ignore_eos = true,
            stream_options = new { include_usage = true },
        })!.AsObject();
        if (logprobs is { } n)
            fields["logprobs"] = n;
        string body = fields.ToJsonString();
        long start = Stopwatch.GetTimestamp();
        var sw = Stopwatch.StartNew();
        using var response = (await BenchHttp.SendAsync(_http, () => new HttpRequestMessage(HttpMethod.Post, "completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
            Headers = { ConnectionClose = true },
        }, cancellationToken)).Response;
        if (!response.IsSuccessStatusCode)
        {
            // The server's error says why (llama-server: a prompt over its slot's context), which a status code does not.
            string error = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {error[..Math.Min(error.Length, 300)]}", null, response.StatusCode);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        double ttft = double.NaN;
        int tokens = 0;
        var arrivals = new List<long>(outputTokens);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: ") || line == "data: [DONE]")
                continue;
            long now = Stopwatch.GetTimestamp();
            var chunk = JsonNode.Parse(line[6..])!;
            if (chunk["choices"]?.AsArray().Any(c => !string.IsNullOrEmpty((string?)c?["text"])) == true)
            {
                if (double.IsNaN(ttft))
                    ttft = sw.Elapsed.TotalMilliseconds;
                arrivals.Add(now);
            }
            if (chunk["usage"] is JsonObject usage)
                tokens = (int)usage["completion_tokens"]!;
        }
        return new RequestTiming(ttft, sw.Elapsed.TotalMilliseconds, tokens, start, arrivals.ToArray());
    }

    public Task<long?> ReadNumStepsAsync() => ServerSteps.ReadAsync(_http);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>This server's engine in-process (no HTTP): the same scheduler and runner behind EngineClient.</summary>
internal sealed class EngineTarget(InProcessEngine engine) : ILoadTarget
{
    public string Name => "engine (in-process)";

    public async Task<RequestTiming> RunAsync(int[] prompt, int outputTokens, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        double ttft = double.NaN;
        int tokens = 0;
        var stream = engine.Client.Submit(prompt, new SamplingParams { Temperature = 0, MaxTokens = outputTokens, IgnoreEos = true });
        await foreach (var result in stream.ReadAllAsync(cancellationToken))
        {
            if (result.TokenId is not null && double.IsNaN(ttft))
                ttft = sw.Elapsed.TotalMilliseconds;
            tokens = result.NumOutputTokens;
        }
        return new RequestTiming(ttft, sw.Elapsed.TotalMilliseconds, tokens);
    }

    public Task<long?> ReadNumStepsAsync() => Task.FromResult<long?>(engine.Client.Stats.NumSteps);

    public ValueTask DisposeAsync() => engine.DisposeAsync();
}

/// <summary>
/// The naive server a user might write with LLamaSharp: one request at a time through StatelessExecutor (a fresh
/// context per request). Its prompt is the text of the token ids, so its length can differ by a few tokens.
/// </summary>
internal sealed class NaiveTarget(LLamaWeights weights, int contextSize, int threads) : ILoadTarget
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public string Name => "naive (StatelessExecutor, one at a time)";

    public async Task<RequestTiming> RunAsync(int[] prompt, int outputTokens, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        await _one.WaitAsync(cancellationToken);
        try
        {
            var executor = new StatelessExecutor(weights, new ModelParams("") { ContextSize = (uint)contextSize, Threads = threads, BatchThreads = threads, BatchSize = 512 });
            string text = string.Concat(prompt.Select(t => weights.Vocab.LLamaTokenToString((LLama.Native.LLamaToken)t, true)));
            double ttft = double.NaN;
            int tokens = 0;
            var inference = new InferenceParams { MaxTokens = outputTokens, SamplingPipeline = new GreedySamplingPipeline() };
            await foreach (var _ in executor.InferAsync(text, inference, cancellationToken))
            {
                if (double.IsNaN(ttft))
                    ttft = sw.Elapsed.TotalMilliseconds;
                tokens++;
            }
            return new RequestTiming(ttft, sw.Elapsed.TotalMilliseconds, tokens);
        }
        finally
        {
            _one.Release();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
