namespace InferenceServer.Bench;

/// <summary>
/// A deterministic request (pool entry <c>PoolIndex</c>) whose choice <c>Choice</c> differed from its solo output in
/// phase <c>Phase</c> ("under load" or "solo after the soak"): first at character <c>Offset</c>, where the solo text
/// reads <c>Expected</c> and the received text <c>Actual</c> (both JSON-escaped excerpts); <c>Solo</c> and
/// <c>Outcome</c> hold the whole answers.
/// </summary>
internal sealed record SoakMismatch(string Phase, int PoolIndex, int Choice, int Offset, string Expected, string Actual,
    string? ExpectedFinish, string? ActualFinish, SoakRequest Request, SoakOutcome Solo, SoakOutcome Outcome);

/// <summary>
/// Solo outputs of the deterministic pool, each obtained by sending the request once while nothing else ran; later
/// outputs of the same request must equal them (or, for a stream the client cut, be a prefix of them).
/// </summary>
internal sealed class SoakReferences(int count)
{
    private const int Context = 24;

    private static readonly System.Text.Json.JsonSerializerOptions Readable =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SoakOutcome?[] _solo = new SoakOutcome?[count];

    public int NumReferences => _solo.Count(s => s is not null);

    public void Set(int poolIndex, SoakOutcome solo) => _solo[poolIndex] = solo;

    /// <summary>Compares <paramref name="outcome"/> with its reference; null when there is nothing to compare.</summary>
    public (bool PrefixOnly, SoakMismatch? Mismatch)? Compare(string phase, SoakRequest request, SoakOutcome outcome)
    {
        if (request.PoolIndex is not { } index || _solo[index] is not { } solo || outcome.Status == SoakStatus.Failed)
            return null;
        bool prefixOnly = outcome.Status == SoakStatus.Disconnected;
        for (int i = 0; i < solo.Texts.Length; i++)
        {
            string expected = solo.Texts[i], actual = outcome.Texts[i];
            bool same = prefixOnly ? expected.StartsWith(actual, StringComparison.Ordinal)
                : expected == actual && solo.FinishReasons[i] == outcome.FinishReasons[i];
            if (same)
                continue;
            int offset = FirstDifference(expected, actual);
            return (prefixOnly, new SoakMismatch(phase, index, i, offset, Around(expected, offset), Around(actual, offset),
                solo.FinishReasons[i], prefixOnly ? null : outcome.FinishReasons[i], request, solo, outcome));
        }
        return (prefixOnly, null);
    }

    private static int FirstDifference(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
            if (a[i] != b[i])
                return i;
        return n;
    }

    // The text around a position, JSON-escaped so newlines and control characters show.
    private static string Around(string text, int offset)
    {
        int start = Math.Max(0, offset - Context), end = Math.Min(text.Length, offset + Context);
        string part = System.Text.Json.JsonSerializer.Serialize(text[start..end], Readable);
        return (start > 0 ? "…" : "") + part + (end < text.Length ? "…" : "");
    }
}
