using System.Text;
using System.Text.RegularExpressions;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Follows a sleeping lazy grammar the way llama.cpp's <c>llama_grammar_accept_impl</c> does, so the sampler knows
/// before accepting a token whether it wakes the grammar and which text llama.cpp will then feed it: a trigger token
/// wakes it with its whole piece; otherwise the piece joins the text kept while asleep, and the first pattern found
/// there wakes it with the text from the start of the match's first non-empty capture group (or of the match) to the
/// end, replayed token by token (the first one possibly cut). Patterns run in .NET with <c>RegexOptions.ECMAScript</c>
/// on the bytes read as Latin-1, so offsets are byte offsets as in libstdc++'s <c>std::regex</c> on a
/// <c>std::string</c>. llama.cpp throws from inside the sampler when the grammar rejects that text, which would end the
/// process; knowing the text first lets the sampler refuse such a token instead.
/// </summary>
internal sealed class TriggerWatch
{
    private readonly (Regex Search, Regex? Whole)[] _patterns;
    private readonly HashSet<int> _tokens;
    private readonly StringBuilder _text = new();
    private readonly List<(int Token, int Start, int End)> _positions = [];
    // The last prediction: the sampler asks before accepting, then accepts the same token.
    private (int Token, int TextLength, IReadOnlyList<(int, byte[])>? Replay)? _last;

    public TriggerWatch(IReadOnlyList<string> patterns, IReadOnlyList<int> tokens)
    {
        _patterns = [.. patterns.Select(p => (Compile(p), p.Length > 1 && p[0] == '^' && p[^1] == '$' ? Compile($"^(?:{p[1..^1]})\\z") : null))];
        _tokens = [.. tokens];
    }

    /// <summary>True once a trigger occurred: the grammar constrains every later token.</summary>
    public bool Awake { get; private set; }

    /// <summary>Compiles a trigger pattern as the watch reads it.</summary>
    /// <exception cref="ArgumentException">.NET cannot read it as an ECMAScript pattern.</exception>
    public static Regex Compile(string pattern) => new(pattern, RegexOptions.ECMAScript | RegexOptions.CultureInvariant);

    /// <summary>
    /// Null when accepting <paramref name="token"/> (text <paramref name="piece"/>) leaves the grammar asleep; else the
    /// (token, text) pairs llama.cpp will feed the grammar, in order.
    /// </summary>
    public IReadOnlyList<(int Token, byte[] Text)>? Predict(int token, byte[] piece)
    {
        if (Awake)
            return null;
        if (_tokens.Contains(token))
            return [(token, piece)];
        if (_last is { } last && last.Token == token && last.TextLength == _text.Length)
            return last.Replay;
        string text = _text.ToString() + Encoding.Latin1.GetString(piece);
        IReadOnlyList<(int, byte[])>? replay = null;
        foreach (var (search, whole) in _patterns)
            if (Find(search, whole, text) is { } start)
            {
                replay = Replay(token, text, start);
                break;
            }
        _last = (token, _text.Length, replay);
        return replay;
    }

    /// <summary>Records that the grammar accepted <paramref name="token"/>; true when this woke it.</summary>
    public bool Accept(int token, byte[] piece)
    {
        if (Awake)
            return false;
        if (Predict(token, piece) is not null)
        {
            Awake = true;
            _text.Clear();
            _positions.Clear();
            return true;
        }
        _positions.Add((token, _text.Length, _text.Length + piece.Length));
        _text.Append(Encoding.Latin1.GetString(piece));
        return false;
    }

    // llama_grammar_trigger_pattern::find: a ^…$ pattern is first matched against the whole text, then searched.
    private static int? Find(Regex search, Regex? whole, string text)
    {
        if (whole?.Match(text) is { Success: true } all)
            return StartOf(all);
        var m = search.Match(text);
        return m.Success ? StartOf(m) : null;
    }

    private static int StartOf(Match m)
    {
        for (int i = 1; i < m.Groups.Count; i++)
            if (m.Groups[i].Success && m.Groups[i].Length > 0)
                return m.Groups[i].Index;
        return m.Index;
    }

    private List<(int Token, byte[] Text)> Replay(int token, string text, int start)
    {
        var replay = new List<(int, byte[])>();
        foreach (var (t, s, e) in _positions.Append((token, _text.Length, text.Length)))
            if (e > start)
                replay.Add((t, Encoding.Latin1.GetBytes(text[Math.Max(s, start)..e])));
        return replay;
    }
}
