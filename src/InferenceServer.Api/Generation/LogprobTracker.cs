using System.Text;
using System.Text.Unicode;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Pairs one choice's token logprobs with the text that carries them: a token is released with the piece of sent
/// text that completes its own text, so each chunk lists exactly the tokens whose text it carries. A token that holds
/// only part of a character (its text is held back by the detokenizer) goes out with the token that completes it.
/// </summary>
/// <remarks>
/// Lengths are compared in UTF-16 units of the detokenized text, which the sent text is a prefix of (stop strings only
/// cut its end). When a stop string ends the choice, tokens whose text starts before the cut are listed, those that
/// only formed the stop string are not; a token that straddles the cut keeps its whole bytes.
/// </remarks>
internal sealed class LogprobTracker(ITokenizer tokenizer)
{
    private readonly List<(TokenLogprobs Logprobs, int Start, int CodePoint, int End)> _pending = [];
    private int _produced;
    private int _producedCodePoints;
    private int _sent;

    /// <summary>Takes in detokenized <paramref name="text"/> and, when given, the logprobs of the token that produced it.</summary>
    public void Add(TokenLogprobs? logprobs, string text)
    {
        if (logprobs is not null)
            _pending.Add((logprobs, _produced, _producedCodePoints, -1));
        if (text.Length == 0)
            return;
        _produced += text.Length;
        _producedCodePoints += CountCodePoints(text);
        // Every token still waiting for text (parts of a character) ends with this piece.
        for (int i = _pending.Count - 1; i >= 0 && _pending[i].End < 0; i--)
            _pending[i] = _pending[i] with { End = _produced };
    }

    /// <summary>
    /// Records that <paramref name="sent"/> went out; returns the tokens whose text it completes (null when none).
    /// <paramref name="finished"/> releases the rest: all of them, or with <paramref name="stopped"/> those that start
    /// before the cut.
    /// </summary>
    public IReadOnlyList<OutputLogprob>? Release(string sent, bool finished, bool stopped)
    {
        _sent += sent.Length;
        int count = 0;
        while (count < _pending.Count && _pending[count] is var p && (p.End >= 0 && p.End <= _sent || finished && (!stopped || p.Start < _sent)))
            count++;
        if (count == 0)
        {
            if (finished)
                _pending.Clear();
            return null;
        }
        var released = _pending.Take(count).Select(p => ToOutput(p.Logprobs, p.CodePoint)).ToArray();
        _pending.RemoveRange(0, finished ? _pending.Count : count);
        return released;
    }

    private OutputLogprob ToOutput(TokenLogprobs logprobs, int textOffset) =>
        new(Entry(logprobs.TokenId, logprobs.Logprob), textOffset, logprobs.Top.Select(t => Entry(t.TokenId, t.Logprob)).ToArray());

    private LogprobEntry Entry(int tokenId, float logprob)
    {
        byte[] bytes = tokenizer.TokenBytes(tokenId);
        return new LogprobEntry(TokenText(bytes), logprob, bytes);
    }

    /// <summary>The token's text, or <c>bytes:\xNN…</c> when its bytes are not valid UTF-8 by themselves.</summary>
    public static string TokenText(byte[] bytes)
    {
        if (Utf8.IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder("bytes:", 6 + 4 * bytes.Length);
        foreach (byte b in bytes)
            text.Append(@"\x").Append(b.ToString("x2"));
        return text.ToString();
    }

    private static int CountCodePoints(string text)
    {
        int count = 0;
        foreach (char c in text)
            if (!char.IsLowSurrogate(c))
                count++;
        return count;
    }
}
