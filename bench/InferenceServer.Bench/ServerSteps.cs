using System.Globalization;
using System.Text.Json;

namespace InferenceServer.Bench;

/// <summary>
/// The steps a server has taken since it started: this server's engine steps (<c>/v1/engine/stats</c>), or
/// llama-server's llama_decode calls (<c>llamacpp:n_decode_total</c> on <c>/metrics</c>, which needs its
/// <c>--metrics</c> flag). Null for a server that reports neither.
/// </summary>
internal static class ServerSteps
{
    private const string LlamaServerDecodeCalls = "llamacpp:n_decode_total ";

    /// <param name="http">A client whose base address is the server's <c>/v1/</c> URL.</param>
    public static async Task<long?> ReadAsync(HttpClient http)
    {
        try
        {
            if (await BenchServer.ReadStatsAsync(http, CancellationToken.None) is { } stats)
                return stats.NumSteps;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            // Some other server's answer to an unknown path; try the next source.
        }
        try
        {
            using var response = (await BenchHttp.SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, "../metrics"), CancellationToken.None)).Response;
            if (!response.IsSuccessStatusCode)
                return null;
            string? line = (await response.Content.ReadAsStringAsync()).Split('\n').FirstOrDefault(l => l.StartsWith(LlamaServerDecodeCalls, StringComparison.Ordinal));
            return line is null ? null : (long)double.Parse(line[LlamaServerDecodeCalls.Length..], CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
