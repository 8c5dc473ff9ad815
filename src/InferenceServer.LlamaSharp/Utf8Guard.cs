namespace InferenceServer.LlamaSharp;

/// <summary>
/// Tracks the bytes a sequence has produced so far and tells which next bytes keep them well-formed UTF-8 (RFC 3629,
/// table 3-7 of the Unicode standard: no overlong forms, no surrogates, nothing past U+10FFFF). llama.cpp's grammar
/// matches code points decoded without these checks, so a byte-fallback token such as &lt;0xFE&gt; would otherwise pass
/// a string rule and reach the output as U+FFFD.
/// </summary>
internal sealed class Utf8Guard
{
    private int _remaining;
    private byte _lo = 0x80, _hi = 0xBF;

    /// <summary>True when the sequence ends on a whole character.</summary>
    public bool AtBoundary => _remaining == 0;

    /// <summary>True when appending <paramref name="bytes"/> keeps the text well-formed (a character may stay open).</summary>
    public bool Admits(ReadOnlySpan<byte> bytes)
    {
        var (remaining, lo, hi) = (_remaining, _lo, _hi);
        foreach (byte b in bytes)
            if (!Step(b, ref remaining, ref lo, ref hi))
                return false;
        return true;
    }

    /// <summary>Appends <paramref name="bytes"/>, which <see cref="Admits"/> allowed.</summary>
    public void Accept(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            Step(b, ref _remaining, ref _lo, ref _hi);
    }

    private static bool Step(byte b, ref int remaining, ref byte lo, ref byte hi)
    {
        if (remaining > 0)
        {
            if (b < lo || b > hi)
                return false;
            remaining--;
            (lo, hi) = ((byte)0x80, (byte)0xBF);
            return true;
        }
        (remaining, lo, hi) = b switch
        {
            <= 0x7F => (0, (byte)0x80, (byte)0xBF),
            >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
            0xE0 => (2, (byte)0xA0, (byte)0xBF),
            0xED => (2, (byte)0x80, (byte)0x9F),
            >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
            0xF0 => (3, (byte)0x90, (byte)0xBF),
            >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
            0xF4 => (3, (byte)0x80, (byte)0x8F),
            _ => (-1, (byte)0, (byte)0),
        };
        if (remaining < 0)
        {
            remaining = 0;
            return false;
        }
        return true;
    }
}
