namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Reads a text/event-stream body into its <c>data:</c> payloads.</summary>
public static class SseReader
{
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var events = new List<string>();
        await foreach (var data in ReadAsync(response, cancellationToken))
            events.Add(data);
        return events;
    }

    public static async IAsyncEnumerable<string> ReadAsync(HttpResponseMessage response,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? line;
        while ((line = await reader.ReadLineAsync(cancellationToken)) is not null)
        {
            Assert.False(line.StartsWith("event:"), "chunks carry no event type");
            if (line.StartsWith("data: "))
                yield return line["data: ".Length..];
        }
    }
}
