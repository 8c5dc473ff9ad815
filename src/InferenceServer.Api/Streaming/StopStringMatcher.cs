namespace InferenceServer.Api.Streaming;

/// <summary>
/// Applies OpenAI <c>stop</c> strings to streamed text: text is released only when no stop string can start inside
/// it, so no part of a matched stop string is ever sent. A tail that could still grow into a stop string is held
/// back until the next piece decides it.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private string _held = "";

    /// <summary>Creates a matcher for <paramref name="stops"/> (empty: text passes straight through).</summary>
    public StopStringMatcher(IReadOnlyList<string> stops) => _stops = stops;

    /// <summary>True once a stop string matched; later input is ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns the text that is now safe to send.</summary>
    public string Add(string text)
    {
        if (Stopped)
            return "";
        if (_stops.Count == 0)
            return text;
        string buffer = _held + text;
        int match = FirstMatch(buffer);
        if (match >= 0)
        {
            Stopped = true;
            _held = "";
            return buffer[..match];
        }
        int keep = LongestPartialMatch(buffer);
        _held = buffer[(buffer.Length - keep)..];
        return buffer[..(buffer.Length - keep)];
    }

    /// <summary>Ends the text: releases what was held back (it did not become a stop string).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _held;
        _held = "";
        return rest;
    }

    private int FirstMatch(string buffer)
    {
        int best = -1;
        foreach (string stop in _stops)
        {
            int at = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
                best = at;
        }
        return best;
    }

    // Length of the longest suffix of buffer that is a proper prefix of some stop string.
    private int LongestPartialMatch(string buffer)
    {
        int longest = 0;
        foreach (string stop in _stops)
        {
            for (int len = Math.Min(stop.Length - 1, buffer.Length); len > longest; len--)
            {
                if (buffer.AsSpan(buffer.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }
}
