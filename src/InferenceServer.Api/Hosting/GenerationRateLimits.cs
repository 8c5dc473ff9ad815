using System.Threading.RateLimiting;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Options;
using Microsoft.AspNetCore.RateLimiting;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Per-client limits on the generation endpoints with ASP.NET Core's rate limiting middleware: requests in flight
/// (<see cref="ServerOptions.MaxConcurrentRequestsPerKey"/>) and requests per minute
/// (<see cref="ServerOptions.RequestsPerMinutePerKey"/>), per API key, or per client address without keys.
/// Over a limit: 429 with <c>Retry-After</c> and an OpenAI error. Other endpoints are not limited.
/// </summary>
public static class GenerationRateLimits
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Installs the limits into <paramref name="options"/>.</summary>
    public static void Configure(RateLimiterOptions options, ServerOptions server)
    {
        var windows = new WindowStarts(TimeProvider.System);
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = async (context, token) =>
        {
            var http = context.HttpContext;
            http.RequestServices.GetRequiredService<Metrics.InferenceMetrics>().CountRefused(http, StatusCodes.Status429TooManyRequests);
            // Only the per-minute window says when to retry, and it says a whole window: the rest of the current one is
            // what the client must wait.
            int retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out _)
                ? Math.Max(1, (int)Math.Ceiling(windows.Remaining(ClientKey(http)).TotalSeconds)) : ApiErrors.RetryAfterSeconds;
            http.Response.Headers.RetryAfter = retryAfter.ToString();
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(ApiErrors.Serialize(new ErrorDetail(
                "Rate limit reached for this API key; retry after the time in Retry-After.", "rate_limit_error", null, "rate_limit_exceeded")), token);
        };
        var limiters = new List<PartitionedRateLimiter<HttpContext>>();
        if (server.MaxConcurrentRequestsPerKey > 0)
            limiters.Add(PartitionedRateLimiter.Create<HttpContext, string>(http => IsGeneration(http)
                ? RateLimitPartition.GetConcurrencyLimiter(ClientKey(http), _ => new ConcurrencyLimiterOptions
                    { PermitLimit = server.MaxConcurrentRequestsPerKey, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("")));
        if (server.RequestsPerMinutePerKey > 0)
            limiters.Add(PartitionedRateLimiter.Create<HttpContext, string>(http => IsGeneration(http)
                ? RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), key => windows.Start(key, new FixedWindowRateLimiterOptions
                    { PermitLimit = server.RequestsPerMinutePerKey, Window = Window, QueueLimit = 0 }))
                : RateLimitPartition.GetNoLimiter("")));
        if (limiters.Count > 0)
            options.GlobalLimiter = limiters.Count == 1 ? limiters[0] : PartitionedRateLimiter.CreateChained(limiters.ToArray());
    }

    // When each client's per-minute window began: its limiter starts one when created and a new one every Window.
    private sealed class WindowStarts(TimeProvider time)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _starts = new();

        public FixedWindowRateLimiterOptions Start(string key, FixedWindowRateLimiterOptions options)
        {
            _starts[key] = time.GetTimestamp();
            return options;
        }

        public TimeSpan Remaining(string key) => _starts.TryGetValue(key, out long start)
            ? Window - TimeSpan.FromTicks(time.GetElapsedTime(start).Ticks % Window.Ticks) : Window;
    }

    private static bool IsGeneration(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
        && (http.Request.Path.StartsWithSegments("/v1/chat/completions") || http.Request.Path.StartsWithSegments("/v1/completions"));

    private static string ClientKey(HttpContext http) =>
        ApiKeyAuthentication.KeyOf(http) is { Length: > 0 } key ? "key:" + key : "ip:" + http.Connection.RemoteIpAddress;
}
