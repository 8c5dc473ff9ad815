namespace InferenceServer.Api.Output;

/// <summary>Finds markers in text that is still growing, holding back a tail that may be the start of one.</summary>
internal static class MarkerSearch
{
    /// <summary>The earliest of <paramref name="markers"/> in <paramref name="text"/>: its index and which, or (-1, null).</summary>
    public static (int Index, string? Marker) First(string text, IReadOnlyList<string> markers)
    {
        (int Index, string? Marker) best = (-1, null);
        foreach (string m in markers)
        {
            int i = text.IndexOf(m, StringComparison.Ordinal);
            if (i >= 0 && (best.Index < 0 || i < best.Index))
                best = (i, m);
        }
        return best;
    }

    /// <summary>
    /// Where the held tail of <paramref name="text"/> starts: the earliest index from which the rest is a proper prefix of
    /// one of <paramref name="markers"/>, or the text's length when no tail may grow into a marker.
    /// </summary>
    public static int SafeLength(string text, IReadOnlyList<string> markers)
    {
        int longest = markers.Count == 0 ? 0 : markers.Max(m => m.Length) - 1;
        for (int start = Math.Max(0, text.Length - longest); start < text.Length; start++)
        {
            var tail = text.AsSpan(start);
            foreach (string m in markers)
                if (m.Length > tail.Length && m.AsSpan().StartsWith(tail))
                    return start;
        }
        return text.Length;
    }
}
