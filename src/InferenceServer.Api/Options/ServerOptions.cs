using System.ComponentModel.DataAnnotations;

namespace InferenceServer.Api.Options;

/// <summary>HTTP-level security, limits and lifecycle, bound from the <c>Server</c> configuration section.</summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Server";

    /// <summary>Largest request body accepted, in bytes; larger ones get 413. Default 8 MiB.</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBodyBytes { get; set; } = 8 << 20;

    /// <summary>
    /// API keys accepted as <c>Authorization: Bearer &lt;key&gt;</c> (configuration <c>Server:ApiKeys:0</c>, env
    /// <c>Server__ApiKeys__0</c>, …). Empty (default): no authentication.
    /// </summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Leave /health/* open when API keys are set (for probes). Default true.</summary>
    public bool OpenHealthEndpoints { get; set; } = true;

    /// <summary>Leave /metrics open when API keys are set (for Prometheus). Default true.</summary>
    public bool OpenMetricsEndpoint { get; set; } = true;

    /// <summary>Most prompt tokens per request; 0 (default) allows up to the model's context.</summary>
    [Range(0, int.MaxValue)]
    public int MaxPromptTokens { get; set; }

    /// <summary>Highest max_tokens accepted (and the default when a request gives none); 0 (default) means no ceiling.</summary>
    [Range(0, int.MaxValue)]
    public int MaxTokensCeiling { get; set; }

    /// <summary>Generation requests one API key (or client address, without keys) may have in flight; 0 = unlimited.</summary>
    [Range(0, 100_000)]
    public int MaxConcurrentRequestsPerKey { get; set; }

    /// <summary>Generation requests one API key (or client address) may start per minute; 0 = unlimited.</summary>
    [Range(0, 10_000_000)]
    public int RequestsPerMinutePerKey { get; set; }

    /// <summary>Origins allowed by CORS for browser clients (e.g. <c>https://app.example.com</c>, or <c>*</c>). Empty: CORS off.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>
    /// Accept and ignore request fields this server does not know (vLLM's and llama.cpp's behaviour, for clients written
    /// for their extensions). Default false: such a field gets 400 <c>unknown_parameter</c>, as OpenAI answers.
    /// </summary>
    public bool IgnoreUnknownFields { get; set; }

    /// <summary>On SIGTERM, how long in-flight requests may run before they are cancelled. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A stream that has written nothing for this long gets an SSE comment (<c>: keep-alive</c>), so clients and proxies
    /// with read timeouts wait through queueing and long prefills. Default 5 s; zero or negative sends none; at most a day.
    /// </summary>
    [Range(typeof(TimeSpan), "-1.00:00:00", "1.00:00:00")]
    public TimeSpan SseHeartbeat { get; set; } = TimeSpan.FromSeconds(5);
}
