using System.Runtime.CompilerServices;
using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Options;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine;
using InferenceServer.Engine.KvCache;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Endpoints;

/// <summary>
/// <c>GET /v1/engine/kv</c>: every block and every sequence holding blocks, taken on the engine thread between steps;
/// <c>GET /v1/engine/kv/stream</c>: the same as Server-Sent Events, one snapshot per interval, until the client
/// leaves or the server drains.
/// </summary>
internal static class EngineKvEndpoints
{
    /// <summary>Shortest interval between two streamed snapshots, in milliseconds: at most five a second.</summary>
    public const int MinIntervalMs = 200;
    /// <summary>Interval between two streamed snapshots when the request names none, in milliseconds.</summary>
    public const int DefaultIntervalMs = 500;
    private const int MaxIntervalMs = 60_000;

    /// <summary>Maps both endpoints on <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapEngineKv(this RouteGroupBuilder v1)
    {
        v1.MapGet("/engine/kv", GetSnapshotAsync)
            .WithName("EngineKvCache")
            .WithSummary("The KV cache now: every block (state free, in_use or cached_idle; ref count; holding sequences; " +
                "chain depth; prefix-cache hit), every sequence holding blocks with its block table, hit rate, evictions, preemptions.")
            .Produces<KvCacheSnapshot>()
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/engine/kv/stream", Stream)
            .WithName("EngineKvCacheStream")
            .WithSummary($"The KV cache snapshot of GET /v1/engine/kv as Server-Sent Events, one every interval_ms " +
                $"({MinIntervalMs}-{MaxIntervalMs}, default {DefaultIntervalMs}), until the client leaves or the server drains.")
            .Produces<KvCacheSnapshot>(contentType: "text/event-stream")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return v1;
    }

    private static async Task<IResult> GetSnapshotAsync(HttpContext http, EngineClient engine)
    {
        var snapshot = await engine.GetKvSnapshotAsync(http.RequestAborted).ConfigureAwait(false);
        return snapshot is null ? Unavailable(http, engine) : TypedResults.Ok(snapshot);
    }

    private static IResult Stream(HttpContext http, EngineClient engine, IHostApplicationLifetime lifetime,
        IOptions<ServerOptions> server, TimeProvider time, string? interval_ms)
    {
        int interval = DefaultIntervalMs;
        if (interval_ms is not null && (!int.TryParse(interval_ms, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out interval) || interval is < MinIntervalMs or > MaxIntervalMs))
            return ApiErrors.ToResult(ApiException.BadRequest(
                $"interval_ms must be a whole number of milliseconds between {MinIntervalMs} and {MaxIntervalMs}; got '{interval_ms}'.",
                "interval_ms", "invalid_value"));
        if (engine.Model is null || engine.IsStopping)
            return Unavailable(http, engine);
        var events = SnapshotsAsync(engine, TimeSpan.FromMilliseconds(interval), time, lifetime.ApplicationStopping, http.RequestAborted);
        return new SseStreamResult(events, server.Value.SseHeartbeat, time);
    }

    // Ends quietly when the client leaves, when the server starts draining, or when the engine has stopped.
    private static async IAsyncEnumerable<string> SnapshotsAsync(EngineClient engine, TimeSpan interval, TimeProvider time,
        CancellationToken stopping, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        while (!end.IsCancellationRequested && !engine.IsStopping)
        {
            var next = engine.GetKvSnapshotAsync(end.Token);
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!next.IsCompletedSuccessfully || next.Result is not { } snapshot)
                yield break;
            yield return JsonSerializer.Serialize(snapshot, ApiJsonContext.Wire.KvCacheSnapshot);
            await Task.Delay(interval, time, end.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static IResult Unavailable(HttpContext http, EngineClient engine) =>
        ApiErrors.ToResult(engine.Model is null ? ApiException.NotReady() : ApiException.ShuttingDown());
}
