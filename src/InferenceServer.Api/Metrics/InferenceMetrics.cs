using InferenceServer.Engine;
using Prometheus;

namespace InferenceServer.Api.Metrics;

/// <summary>
/// Prometheus metrics at <c>/metrics</c> (prometheus-net), named <c>inference_server_*</c> after Prometheus conventions.
/// Gauges and token counters are read from <see cref="EngineStats"/> at scrape time, so they agree with
/// <c>/v1/engine/stats</c>; latency histograms are observed per request. The Gateway API Inference Extension's
/// endpoint picker reads <see cref="RequestsWaiting"/>, <see cref="RequestsRunning"/> and <see cref="KvCacheUsage"/>.
/// </summary>
public sealed class InferenceMetrics
{
    /// <summary>Prefix of every metric name.</summary>
    public const string Namespace = "inference_server";

    private static readonly double[] LatencyBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

    /// <summary>Creates the metrics in <paramref name="registry"/>, fed by <paramref name="engine"/> at each scrape.</summary>
    public InferenceMetrics(CollectorRegistry registry, EngineClient engine)
    {
        Registry = registry;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        RequestsRunning = f.CreateGauge($"{Namespace}_num_requests_running", "Sequences currently decoding or prefilling.");
        RequestsWaiting = f.CreateGauge($"{Namespace}_num_requests_waiting", "Sequences waiting for admission (preempted ones included).");
        KvCacheUsage = f.CreateGauge($"{Namespace}_kv_cache_usage_ratio", "Fraction of KV-cache blocks held by sequences (0 to 1).");
        var cacheInfo = f.CreateGauge($"{Namespace}_cache_config_info", "KV-cache configuration (value is always 1).",
            new GaugeConfiguration { LabelNames = ["block_size", "num_blocks", "cache_dtype"] });
        var queried = f.CreateCounter($"{Namespace}_prefix_cache_queried_tokens_total", "Prompt tokens looked up in the prefix cache.");
        var hits = f.CreateCounter($"{Namespace}_prefix_cache_hit_tokens_total", "Prompt tokens served from the prefix cache.");
        var prompt = f.CreateCounter($"{Namespace}_prompt_tokens_total", "Prompt tokens of all requests.");
        var generated = f.CreateCounter($"{Namespace}_generation_tokens_total", "Tokens generated.");
        var preemptions = f.CreateCounter($"{Namespace}_preemptions_total", "Sequences preempted for lack of KV blocks.");
        var failedSteps = f.CreateCounter($"{Namespace}_failed_steps_total",
            "Steps whose batch the model failed to compute at first (recovered by reconcile and retry, or by failing only the sequences that fail alone).");
        RequestsFinished = f.CreateCounter($"{Namespace}_requests_finished_total", "Finished choices by finish reason.",
            new CounterConfiguration { LabelNames = ["finish_reason"] });
        HttpResponses = f.CreateCounter($"{Namespace}_http_requests_total", "Generation requests by HTTP status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        var latency = new HistogramConfiguration { Buckets = LatencyBuckets };
        TimeToFirstToken = f.CreateHistogram($"{Namespace}_time_to_first_token_seconds", "Request arrival to first token sent.", latency);
        InterTokenLatency = f.CreateHistogram($"{Namespace}_inter_token_latency_seconds", "Time between a choice's consecutive tokens.", latency);
        EndToEndLatency = f.CreateHistogram($"{Namespace}_e2e_request_latency_seconds", "Request arrival to last token.", latency);
        QueueTime = f.CreateHistogram($"{Namespace}_request_queue_time_seconds", "Request arrival to first admission by the scheduler.", latency);

        registry.AddBeforeCollectCallback(() =>
        {
            var s = engine.Stats;
            RequestsRunning.Set(s.NumRunning);
            RequestsWaiting.Set(s.NumWaiting);
            KvCacheUsage.Set(s.NumBlocks == 0 ? 0 : (double)s.NumUsedBlocks / s.NumBlocks);
            if (s.Ready)
                cacheInfo.WithLabels(s.BlockSize.ToString(), s.NumBlocks.ToString(), s.KvCache?.Type ?? "f16").Set(1);
            queried.IncTo(s.NumPromptTokens);
            hits.IncTo(s.NumCachedPromptTokens);
            prompt.IncTo(s.NumPromptTokens);
            generated.IncTo(s.NumGeneratedTokens);
            preemptions.IncTo(s.NumPreemptions);
            failedSteps.IncTo(s.NumFailedSteps);
        });
    }

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }
    /// <summary>Gauge: running sequences (GIE TotalRunningRequests).</summary>
    public Gauge RequestsRunning { get; }
    /// <summary>Gauge: waiting sequences (GIE TotalQueuedRequests).</summary>
    public Gauge RequestsWaiting { get; }
    /// <summary>Gauge: used blocks / all blocks (GIE KVCacheUtilization, 0 to 1).</summary>
    public Gauge KvCacheUsage { get; }
    /// <summary>Counter by finish_reason.</summary>
    public Counter RequestsFinished { get; }
    /// <summary>Counter by endpoint and status.</summary>
    public Counter HttpResponses { get; }

    /// <summary>
    /// Counts a generation request answered before it reached its endpoint (401 from authentication, 429 from the
    /// rate limiter); other paths are not counted.
    /// </summary>
    public void CountRefused(HttpContext http, int status)
    {
        string? endpoint = http.Request.Path.StartsWithSegments("/v1/chat/completions") ? "chat.completions"
            : http.Request.Path.StartsWithSegments("/v1/completions") ? "completions" : null;
        if (endpoint is not null)
            HttpResponses.WithLabels(endpoint, status.ToString()).Inc();
    }
    /// <summary>Histogram, seconds.</summary>
    public Histogram TimeToFirstToken { get; }
    /// <summary>Histogram, seconds.</summary>
    public Histogram InterTokenLatency { get; }
    /// <summary>Histogram, seconds.</summary>
    public Histogram EndToEndLatency { get; }
    /// <summary>Histogram, seconds.</summary>
    public Histogram QueueTime { get; }
}
