using InferenceServer.Api.Options;
using InferenceServer.Engine;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Graceful drain on SIGTERM (or any host stop): readiness turns 503 and new requests get 503 at once, in-flight
/// requests run on for up to <see cref="ServerOptions.DrainTimeout"/>, then the rest are cancelled (their streams end
/// with an error event and <c>[DONE]</c>), and only then does Kestrel stop. Runs inside the ApplicationStopping
/// callback, which the host completes before stopping any service, so the listener keeps answering meanwhile.
/// </summary>
public sealed partial class GracefulDrain(EngineClient engine, IOptions<ServerOptions> options, ILogger<GracefulDrain> logger)
{
    /// <summary>Drains; returns when the engine is idle or everything left was cancelled.</summary>
    public void Drain()
    {
        var timeout = options.Value.DrainTimeout;
        engine.StopAccepting();
        var before = engine.Stats;
        Log.Draining(logger, before.NumRunning, before.NumWaiting, timeout.TotalSeconds);
        if (WaitIdle(timeout))
            return;
        var left = engine.Stats;
        Log.Cancelling(logger, left.NumRunning + left.NumWaiting);
        engine.AbortAll();
        WaitIdle(TimeSpan.FromSeconds(5));
        // Let the cancelled streams write their error event and [DONE] before the server closes connections.
        Thread.Sleep(200);
    }

    private bool WaitIdle(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!engine.IsIdle)
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            Thread.Sleep(20);
        }
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Information, "Draining: {NumRunning} running and {NumWaiting} waiting sequences (a request with n choices may have n) may finish within {TimeoutSeconds} s; new requests get 503")]
        public static partial void Draining(ILogger logger, int numRunning, int numWaiting, double timeoutSeconds);

        [LoggerMessage(4001, LogLevel.Warning, "Drain timeout: cancelling {NumLeft} sequences")]
        public static partial void Cancelling(ILogger logger, int numLeft);
    }
}
