using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Bench;

/// <summary>
/// Sends one soak request and reads its answer, streamed (SSE) or whole, keeping each choice's text and finish reason
/// and hanging up when the request's disconnect plan says so. Every failure becomes an outcome with an error kind.
/// </summary>
internal sealed class SoakClient(HttpClient http)
{
    /// <summary>Sends <paramref name="request"/>; a request still running when <paramref name="deadline"/> is cancelled has failed.</summary>
    public async Task<SoakOutcome> SendAsync(SoakRequest request, CancellationToken deadline)
    {
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        if (request.Disconnect == SoakDisconnect.BeforeFirstToken)
            hangUp.CancelAfter(request.DisconnectAfter);
        var parts = new Parts(request.N, Stopwatch.StartNew());
        try
        {
            var (response, retries) = await BenchHttp.SendAsync(http, () => new HttpRequestMessage(HttpMethod.Post, request.Endpoint)
            {
                Content = new StringContent(request.Body, Encoding.UTF8, "application/json"),
            }, hangUp.Token);
            parts.Retries = retries;
            using (response)
            {
                if (response.StatusCode != HttpStatusCode.OK)
                    return await HttpErrorAsync(response, parts, hangUp.Token);
                return request.Stream ? await ReadStreamAsync(response, request, parts, hangUp)
                    : ReadWhole(JsonNode.Parse(await response.Content.ReadAsStringAsync(hangUp.Token))!, request, parts);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return parts.Fail("timeout: still running when the soak stopped waiting", $"{parts.Clock.Elapsed.TotalSeconds:F0} s");
        }
        catch (OperationCanceledException) when (hangUp.IsCancellationRequested)
        {
            return parts.Outcome(SoakStatus.Disconnected);
        }
        catch (HttpRequestException ex)
        {
            return parts.Fail($"transport: {ex.HttpRequestError} before the response", ex.InnerException?.Message ?? ex.Message);
        }
        catch (IOException ex)
        {
            return parts.Fail($"transport: {(ex as HttpIOException)?.HttpRequestError.ToString() ?? ex.GetType().Name} mid-response", ex.Message);
        }
        catch (JsonException ex)
        {
            return parts.Fail("protocol: invalid JSON", ex.Message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // JsonNode conversions: a field of the wrong JSON type.
            return parts.Fail("protocol: unexpected JSON shape", ex.Message);
        }
    }

    private static async Task<SoakOutcome> HttpErrorAsync(HttpResponseMessage response, Parts parts, CancellationToken cancellationToken)
    {
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? error = null;
        try
        {
            error = JsonNode.Parse(body)?["error"];
        }
        catch (JsonException) { }
        string code = (string?)error?["code"] ?? "(no error code)";
        return parts.Fail($"HTTP {(int)response.StatusCode} {code}", (string?)error?["message"] ?? body);
    }

    private static async Task<SoakOutcome> ReadStreamAsync(HttpResponseMessage response, SoakRequest request, Parts parts,
        CancellationTokenSource hangUp)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(hangUp.Token));
        int contentChunks = 0;
        (string Code, string Message)? streamError = null;
        bool done = false;
        while (!done && await reader.ReadLineAsync(hangUp.Token) is { } line)
        {
            // SSE: "data:" then one optional space; blank lines end events, lines starting with ':' are comments.
            if (!line.StartsWith("data:"))
                continue;
            string data = line[5..].StartsWith(' ') ? line[6..] : line[5..];
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }
            var chunk = JsonNode.Parse(data)!;
            if (chunk["error"] is { } error)
                streamError ??= ((string?)error["code"] ?? "(no error code)", (string?)error["message"] ?? data);
            if (parts.Add(chunk, request.IsChat) && ++contentChunks >= request.DisconnectAfter && request.Disconnect == SoakDisconnect.MidStream)
                return parts.Outcome(SoakStatus.Disconnected);
        }
        if (streamError is { } e)
            return parts.Fail($"stream error event: {e.Code}", e.Message);
        if (!done)
            return parts.Fail("protocol: stream ended without [DONE]", $"after {contentChunks} content chunks");
        return parts.Complete();
    }

    private static SoakOutcome ReadWhole(JsonNode json, SoakRequest request, Parts parts)
    {
        if ((json["choices"] as JsonArray)?.Count != request.N)
            return parts.Fail("protocol: wrong number of choices", Truncate(json.ToJsonString()));
        parts.Add(json, request.IsChat);
        return parts.Complete();
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";

    // The answer so far: choices' text and finish reasons, usage, first-content time.
    private sealed class Parts(int n, Stopwatch clock)
    {
        private readonly StringBuilder[] _texts = [.. Enumerable.Range(0, n).Select(_ => new StringBuilder())];
        private readonly string?[] _finishReasons = new string?[n];
        private double _ttftMs = double.NaN;
        private (int Prompt, int Cached, int Completion) _usage;

        public Stopwatch Clock { get; } = clock;
        public int Retries { get; set; }

        /// <summary>Adds a chunk or a whole response; true if it carried text.</summary>
        /// <exception cref="JsonException">A choice index outside 0 … n − 1.</exception>
        public bool Add(JsonNode json, bool chat)
        {
            bool content = false;
            foreach (var choice in json["choices"] as JsonArray ?? [])
            {
                int index = (int?)choice?["index"] ?? -1;
                if (index < 0 || index >= n)
                    throw new JsonException($"choice index {index} outside 0 … {n - 1}");
                string? text = chat ? (string?)(choice!["delta"] ?? choice["message"])?["content"] : (string?)choice!["text"];
                if (!string.IsNullOrEmpty(text))
                {
                    _texts[index].Append(text);
                    content = true;
                }
                _finishReasons[index] ??= (string?)choice["finish_reason"];
            }
            if (content && double.IsNaN(_ttftMs))
                _ttftMs = Clock.Elapsed.TotalMilliseconds;
            if (json["usage"] is JsonObject usage)
                _usage = ((int?)usage["prompt_tokens"] ?? 0, (int?)usage["prompt_tokens_details"]?["cached_tokens"] ?? 0,
                    (int?)usage["completion_tokens"] ?? 0);
            return content;
        }

        public SoakOutcome Complete() => _finishReasons.Any(f => f is null)
            ? Fail("protocol: a choice without finish_reason", string.Join(", ", _finishReasons.Select(f => f ?? "null")))
            : Outcome(SoakStatus.Completed);

        public SoakOutcome Fail(string kind, string message) => Outcome(SoakStatus.Failed) with { ErrorKind = kind, ErrorMessage = Truncate(message) };

        public SoakOutcome Outcome(SoakStatus status) => new(status, [.. _texts.Select(t => t.ToString())], [.. _finishReasons], _ttftMs,
            Clock.Elapsed.TotalMilliseconds, Retries)
        {
            PromptTokens = _usage.Prompt, CachedTokens = _usage.Cached, CompletionTokens = _usage.Completion,
        };
    }
}
