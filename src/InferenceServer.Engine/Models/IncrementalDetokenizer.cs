using System.Text;

namespace InferenceServer.Engine.Models;

/// <summary>
/// Turns a stream of token byte pieces into text pieces that are always valid UTF-8: bytes of a character split
/// across tokens are held until the character is complete; bytes that can never form a character become U+FFFD
/// (the replacement character, per the Unicode standard's "maximal subpart" practice used by .NET's decoder).
/// </summary>
public sealed class IncrementalDetokenizer
{
    private readonly Func<int, byte[]> _tokenBytes;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] _chars = new char[64];

    /// <summary>Creates a detokenizer reading token bytes from <paramref name="tokenBytes"/>.</summary>
    public IncrementalDetokenizer(Func<int, byte[]> tokenBytes) => _tokenBytes = tokenBytes;

    /// <summary>Adds a token; returns the text completed by it (possibly empty).</summary>
    public string Add(int tokenId) => Decode(_tokenBytes(tokenId), flush: false);

    /// <summary>Ends the stream: returns held bytes that never completed a character as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(byte[] bytes, bool flush)
    {
        var text = new StringBuilder();
        int offset = 0;
        do
        {
            int take = Math.Min(bytes.Length - offset, _chars.Length / 2);
            _decoder.Convert(bytes, offset, take, _chars, 0, _chars.Length, flush && offset + take == bytes.Length,
                out int used, out int produced, out _);
            text.Append(_chars, 0, produced);
            offset += used;
        } while (offset < bytes.Length);
        return text.ToString();
    }
}
