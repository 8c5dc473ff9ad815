using System.Net;

namespace InferenceServer.Bench;

/// <summary>
/// The HTTP client setup every load generator shares: loopback targets only, no client timeout, and requests that
/// survive a server closing idle keep-alive connections.
/// </summary>
internal static class BenchHttp
{
    /// <summary>Attempts per request when the connection fails before any response byte arrives.</summary>
    private const int MaxAttempts = 3;

    /// <summary>The base URL (ending in <c>/</c>) of <paramref name="url"/>.</summary>
    /// <exception cref="ArgumentException">The host is not a loopback address: the bench never sends traffic elsewhere.</exception>
    public static Uri LoopbackBaseUrl(string url)
    {
        var uri = new Uri(url.TrimEnd('/') + "/");
        return uri.IsLoopback ? uri : throw new ArgumentException($"the bench only targets loopback addresses, not '{uri.Host}'");
    }

    /// <summary>
    /// A client for <paramref name="baseUrl"/>. It has no timeout: a queued request of a long run may wait many
    /// minutes for its headers, so callers cancel. Idle connections are dropped after a second, well before servers
    /// close them (uvicorn and llama-server after 5 s, Kestrel after 130 s).
    /// </summary>
    public static HttpClient CreateClient(Uri baseUrl)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            // A client that stops reading a response hangs up at once, so the server sees the disconnect; draining the
            // rest to reuse the connection would keep a stream running for seconds.
            MaxResponseDrainSize = 0,
            AutomaticDecompression = DecompressionMethods.None,
        };
        return new HttpClient(handler) { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends the request <paramref name="create"/> builds and returns once the headers are in. A request whose
    /// connection failed before any response byte arrived (the server closed a reused keep-alive connection, or
    /// refused one) is sent again on another connection, up to three attempts; <c>Retries</c> says how many it took.
    /// </summary>
    public static async Task<(HttpResponseMessage Response, int Retries)> SendAsync(HttpClient http, Func<HttpRequestMessage> create,
        CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var request = create();
            try
            {
                return (await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken), attempt - 1);
            }
            catch (HttpRequestException ex) when (attempt < MaxAttempts && FailedBeforeResponse(ex) && !cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    // With ResponseHeadersRead, SendAsync has read no response byte when it throws; these are the connection-level
    // failures (protocol errors and bad responses are not retried).
    private static bool FailedBeforeResponse(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded
        || (ex.HttpRequestError == HttpRequestError.Unknown && ex.InnerException is IOException);
}
