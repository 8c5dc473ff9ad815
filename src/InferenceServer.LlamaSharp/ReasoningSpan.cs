namespace InferenceServer.LlamaSharp;

/// <summary>
/// Follows a reply's text while a lazy grammar sleeps, to tell whether it is inside a <c>&lt;think&gt;</c> block the
/// reply opened at its start (after blanks at most) and has not closed yet.
/// </summary>
internal sealed class ReasoningSpan
{
    private static readonly byte[] Open = "<think>"u8.ToArray();
    private static readonly byte[] Close = "</think>"u8.ToArray();
    private readonly List<byte> _text = [];
    private State _state;

    private enum State { Start, Inside, Done }

    /// <summary>True while the text so far is inside the opening block and <paramref name="piece"/> does not close it.</summary>
    public bool Holds(byte[] piece) => _state == State.Inside && piece.AsSpan().IndexOf(Close) < 0;

    /// <summary>Appends an accepted token's text.</summary>
    public void Accept(byte[] piece)
    {
        if (_state == State.Done)
            return;
        _text.AddRange(piece);
        var text = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_text);
        if (_state == State.Start)
        {
            var trimmed = text.TrimStart(" \t\r\n"u8);
            if (trimmed.Length < Open.Length)
            {
                if (!Open.AsSpan().StartsWith(trimmed))
                    _state = State.Done;
                return;
            }
            if (!trimmed.StartsWith(Open))
            {
                _state = State.Done;
                return;
            }
            _state = State.Inside;
            text = trimmed[Open.Length..];
        }
        if (text.IndexOf(Close) >= 0)
        {
            _state = State.Done;
            return;
        }
        // Keep only what could still be the start of the closing marker.
        int keep = Math.Min(text.Length, Close.Length - 1);
        var tail = text[^keep..].ToArray();
        _text.Clear();
        _text.AddRange(tail);
    }
}
