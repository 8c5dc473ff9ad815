using System.Text;
using System.Text.RegularExpressions;
using InferenceServer.Engine.Grammar;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

public sealed partial class GrammarSampler
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// Null when llama.cpp accepts <paramref name="gbnf"/> and some output can satisfy it, else why not: llama.cpp's
    /// explanation, or that no token of the vocabulary can begin it while it does not match empty text either (e.g.
    /// <c>[z-a]</c>, or a code point past U+10FFFF that no UTF-8 text holds). For a lazy grammar also: every pattern
    /// reads as ECMAScript, llama.cpp accepts the triggers, and the grammar can begin with each trigger word (it is fed
    /// the text from the trigger on).
    /// </summary>
    public static string? Check(SafeLlamaModelHandle model, string gbnf, GrammarTriggers? triggers = null, string? startAfter = null)
    {
        // Before llama.cpp sees it: llama.cpp expands an ambiguous grammar without limit, in native code.
        if (GbnfAmbiguity.Problem(gbnf) is { } ambiguous)
            return ambiguous;
        if (NonCharacterEscape(gbnf) is { } escape)
            return $"{escape} is not a Unicode scalar value (surrogates and code points past U+10FFFF never occur in UTF-8 text)";
        if (startAfter is { Length: 0 })
            return "the start marker is empty";
        if (triggers is not null && TriggerProblem(triggers) is { } problem)
            return problem;
        try
        {
            // Compiles into the shared cache, so the engine thread later only clones it.
            using var grammar = Create(model, gbnf);
            if (!grammar.IsComplete && !grammar.CanBegin(model.Vocab.Count))
                return "it matches no text: no token can begin it and it does not match empty text";
            if (triggers is null)
                return null;
            // llama.cpp parses the lazy form and its patterns separately (and caches it for the engine thread).
            Create(model, gbnf, triggers).Dispose();
            foreach (string word in triggers.Words)
            {
                using var probe = Create(model, gbnf);
                if (!probe.Walks(Encoding.UTF8.GetBytes(word)))
                    return $"it cannot begin with the trigger '{word}', which it would be fed first";
            }
            return null;
        }
        catch (GrammarException ex)
        {
            return ex.Message;
        }
    }

    private static string? TriggerProblem(GrammarTriggers triggers)
    {
        if (triggers.Words.Count + triggers.Patterns.Count == 0)
            return "a lazy grammar needs at least one trigger";
        if (triggers.Words.Any(string.IsNullOrEmpty))
            return "a trigger word is empty";
        foreach (string pattern in triggers.Patterns)
        {
            try
            {
                TriggerWatch.Compile(pattern);
            }
            catch (ArgumentException ex)
            {
                return $"the trigger pattern '{pattern}' is not a valid ECMAScript regular expression: {ex.Message}";
            }
            if (UnknownToStdRegex(pattern) is { } construct)
                return $"the trigger pattern '{pattern}' uses '{construct}', which llama.cpp's std::regex (ECMAScript) does not know";
        }
        return null;
    }

    // Constructs .NET reads but libstdc++'s ECMAScript grammar lacks (lookbehind, named groups, inline options, atomic
    // groups, .NET-only escapes such as \A or \p): std::regex would throw inside llama.cpp, which ends the process.
    private static string? UnknownToStdRegex(string pattern)
    {
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                char e = pattern[++i];
                if (char.IsAsciiLetter(e) && !"bBdDsSwWfnrtvcxu".Contains(e))
                    return "\\" + e;
            }
            else if (inClass)
                inClass = c != ']';
            else if (c == '[')
                inClass = true;
            else if (c == '(' && i + 2 < pattern.Length && pattern[i + 1] == '?' && !":=!".Contains(pattern[i + 2]))
                return pattern[i..(i + 3)];
        }
        return null;
    }

    // The first \uHHHH or \UHHHHHHHH escape naming a surrogate or a code point past U+10FFFF.
    private static string? NonCharacterEscape(string gbnf)
    {
        foreach (Match m in Regex.Matches(gbnf, @"(?<!\\)(?:\\\\)*\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))"))
        {
            long value = Convert.ToInt64(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, 16);
            if (value is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
                return m.Value;
        }
        return null;
    }

    // Whether any token of the vocabulary is allowed here: one grammar pass over the whole vocabulary.
    private bool CanBegin(int vocabSize)
    {
        var candidates = new LLamaTokenData[vocabSize];
        for (int t = 0; t < vocabSize; t++)
            candidates[t] = new LLamaTokenData((LLamaToken)t, 0f, 0f);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(candidates, false), out var native);
        _grammar!.Apply(ref native);
        var data = native.Data;
        for (int i = 0; i < data.Length; i++)
            if (!float.IsNegativeInfinity(data[i].Logit) && _utf8.Admits(_tokenBytes[(int)data[i].ID]))
                return true;
        return false;
    }

    // Whether the grammar, from a fresh state, takes the text llama.cpp would feed it on waking; remembers the UTF-8
    // state that text leaves, for the checks after the wake.
    private bool WakeFits(IReadOnlyList<(int Token, byte[] Text)> replay)
    {
        using var probe = Create(_model, _gbnf);
        foreach (var (token, text) in replay)
        {
            bool whole = text.AsSpan().SequenceEqual(_pieces[token]);
            if (whole ? !probe.TryAccept((LLamaToken)token) : !probe.Walks(text))
                return false;
        }
        _wokenUtf8 = probe._utf8;
        return true;
    }

    // Walks this (eager) state through the tokens that spell text exactly; false when the grammar refuses them or the
    // text has no exact spelling (not UTF-8, or the tokenizer adds to it).
    private bool Walks(byte[] text)
    {
        string s;
        try
        {
            s = StrictUtf8.GetString(text);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var tokens = _model.Tokenize(s, false, true, Encoding.UTF8);
        if (!tokens.SelectMany(t => _pieces[(int)t]).SequenceEqual(text))
            return false;
        return tokens.All(TryAccept);
    }
}
