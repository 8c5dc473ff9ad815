namespace InferenceServer.Engine.Grammar;

/// <summary>
/// GBNF for the JSON integers in [min, max] (either bound optional), digit by digit: split the range by digit count,
/// then each equal-length range into a fixed prefix, an inner span of free digits and the two partial ends (the
/// classic regex construction for numeric ranges). Without a bound, integers keep the 16-digit limit of
/// <see cref="JsonPrimitives.IntegralPart"/>.
/// </summary>
internal static class IntegerRange
{
    /// <summary>Digits of the longest integer a grammar produces.</summary>
    public const int MaxDigits = 16;
    private const long Largest = 9_999_999_999_999_999;

    /// <summary>The expression; null when the range is empty.</summary>
    public static string? Build(long? min, long? max)
    {
        long lo = Math.Max(min ?? -Largest, -Largest);
        long hi = Math.Min(max ?? Largest, Largest);
        if (lo > hi)
            return null;
        var parts = new List<string>();
        if (lo < 0)
            parts.Add($"\"-\" ({Positive(Math.Max(1, -hi), -lo)})");
        if (hi >= 0)
            parts.Add(Positive(Math.Max(0, lo), hi));
        return string.Join(" | ", parts.Select(p => $"({p})"));
    }

    // Non-negative integers in [lo, hi], no leading zeros.
    private static string Positive(long lo, long hi)
    {
        var parts = new List<string>();
        for (int digits = Digits(lo); digits <= Digits(hi); digits++)
        {
            long first = digits == 1 ? 0 : Pow10(digits - 1);
            long last = Pow10(digits) - 1;
            parts.Add(SameLength(Gbnf.Invariant(Math.Max(lo, first)), Gbnf.Invariant(Math.Min(hi, last))));
        }
        return string.Join(" | ", parts);
    }

    // Digit strings of equal length from lo to hi.
    private static string SameLength(string lo, string hi)
    {
        if (lo == hi)
            return $"\"{lo}\"";
        if (lo[0] == hi[0])
            return $"\"{lo[0]}\" ({SameLength(lo[1..], hi[1..])})";
        int rest = lo.Length - 1;
        if (lo[1..].All(c => c == '0') && hi[1..].All(c => c == '9'))
            return $"[{lo[0]}-{hi[0]}]{Free(rest)}";
        var parts = new List<string> { $"\"{lo[0]}\" ({SameLength(lo[1..], new string('9', rest))})" };
        if (hi[0] - lo[0] > 1)
            parts.Add($"[{(char)(lo[0] + 1)}-{(char)(hi[0] - 1)}]{Free(rest)}");
        parts.Add($"\"{hi[0]}\" ({SameLength(new string('0', rest), hi[1..])})");
        return string.Join(" | ", parts);
    }

    private static string Free(int digits) => digits == 0 ? "" : $" [0-9]{{{digits}}}";

    private static int Digits(long value) => Gbnf.Invariant(value).Length;

    private static long Pow10(int exponent)
    {
        long p = 1;
        for (int i = 0; i < exponent; i++)
            p *= 10;
        return p;
    }
}
