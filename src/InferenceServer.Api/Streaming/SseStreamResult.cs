using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace InferenceServer.Api.Streaming;

/// <summary>
/// A <c>text/event-stream</c> response that sends its headers at once, writes each payload of <paramref name="events"/>
/// as one <c>data:</c> event (no event type), and, whenever nothing has been written for <paramref name="heartbeat"/>,
/// a <c>: keep-alive</c> comment, which SSE clients ignore. Clients and proxies with a read timeout thus keep the
/// connection while a request waits in the queue, is prefilled or a step stalls. A heartbeat of zero or less sends
/// none. The client's disconnect cancels the enumeration of <paramref name="events"/>.
/// </summary>
/// <remarks>
/// ASP.NET Core's <c>ServerSentEventsResult</c> can write no comments and sends its headers only with the first event.
/// </remarks>
internal sealed class SseStreamResult(IAsyncEnumerable<string> events, TimeSpan heartbeat, TimeProvider time) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers.Pragma = "no-cache";
        // Identity encoding keeps response compression from holding events back.
        response.Headers.ContentEncoding = "identity";
        http.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        var body = response.BodyWriter;
        var cancellationToken = http.RequestAborted;
        // Not cancellable: after a disconnect the source must still run, since only its enumeration aborts the sequence.
        await body.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        await foreach (string? payload in WithHeartbeatsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (payload is null)
                body.Write(": keep-alive\n\n"u8);
            else
                WriteEvent(body, payload);
            await body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The payloads of <c>events</c>, with a null (a heartbeat) whenever the consumer has been idle for the interval.</summary>
    private async IAsyncEnumerable<string?> WithHeartbeatsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = events.GetAsyncEnumerator(stop.Token);
        Task<bool>? pending = null;
        try
        {
            long lastWrite = time.GetTimestamp();
            Task? tick = null;
            while (true)
            {
                var next = source.MoveNextAsync();
                if (!next.IsCompleted && heartbeat > TimeSpan.Zero)
                {
                    pending = next.AsTask();
                    // One timer at a time: it is armed for the idle deadline and, when an event moved that deadline, re-armed.
                    while (!pending.IsCompleted)
                    {
                        tick ??= Task.Delay(Max(heartbeat - time.GetElapsedTime(lastWrite), TimeSpan.Zero), time, stop.Token);
                        // A cancelled timer means the source is being cancelled too: wait for it below.
                        if (await Task.WhenAny(pending, tick).ConfigureAwait(false) != tick || tick.IsCanceled)
                            break;
                        tick = null;
                        if (time.GetElapsedTime(lastWrite) < heartbeat)
                            continue;
                        yield return null;
                        lastWrite = time.GetTimestamp();
                    }
                    next = new ValueTask<bool>(pending);
                    pending = null;
                }
                if (!await next.ConfigureAwait(false))
                    yield break;
                yield return source.Current;
                lastWrite = time.GetTimestamp();
            }
        }
        finally
        {
            // A consumer that stops early (a failed write) may leave a MoveNextAsync running: cancel it and let it end
            // before disposing, which an async iterator refuses while it runs. Cancelling also ends the timer.
            await stop.CancelAsync().ConfigureAwait(false);
            if (pending is not null)
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes one event; each line of <paramref name="payload"/> becomes a <c>data:</c> field, as the SSE format requires.</summary>
    private static void WriteEvent(PipeWriter body, string payload)
    {
        var rest = payload.AsSpan();
        while (true)
        {
            int end = rest.IndexOfAny('\r', '\n');
            body.Write("data: "u8);
            Encoding.UTF8.GetBytes(end < 0 ? rest : rest[..end], body);
            body.Write("\n"u8);
            if (end < 0)
                break;
            rest = rest[(rest[end..] is ['\r', '\n', ..] ? end + 2 : end + 1)..];
        }
        body.Write("\n"u8);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
