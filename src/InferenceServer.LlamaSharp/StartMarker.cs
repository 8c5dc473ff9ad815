using System.Text;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Watches the output for a literal marker (the end of the reasoning) before a grammar starts: a plain byte search
/// over the last pieces, so its cost does not grow with the text. A piece that completes the marker and carries text
/// after it is refused, so the grammar always starts at a token boundary right after the marker.
/// </summary>
internal sealed class StartMarker(string marker)
{
    private readonly byte[] _marker = Encoding.UTF8.GetBytes(marker);
    private byte[] _tail = [];

    /// <summary>False when <paramref name="piece"/> would complete the marker with more text after it.</summary>
    public bool Admits(byte[] piece) => End(piece) is not { } end || end == _tail.Length + piece.Length;

    /// <summary>Appends <paramref name="piece"/>; true when it completed the marker.</summary>
    public bool Accept(byte[] piece)
    {
        if (End(piece) is not null)
            return true;
        byte[] text = [.. _tail, .. piece];
        _tail = text[Math.Max(0, text.Length - (_marker.Length - 1))..];
        return false;
    }

    // Where the first occurrence of the marker ends in the kept tail followed by piece, or null.
    private int? End(byte[] piece)
    {
        byte[] text = [.. _tail, .. piece];
        int at = text.AsSpan().IndexOf(_marker);
        return at < 0 ? null : at + _marker.Length;
    }
}
