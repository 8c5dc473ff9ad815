using System.Globalization;
using System.Text;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Translates a JSON Schema <c>pattern</c> (ECMA-262 regex) into GBNF for the JSON text of a matching string body.
/// Supported subset: literals and escaped metacharacters, <c>.</c>, classes <c>[a-z_]</c> and <c>[^…]</c>,
/// <c>\d \w \s \D \W \S</c>, <c>\xHH \uHHHH</c>, groups <c>(…)</c>, <c>(?:…)</c>, <c>(?&lt;name&gt;…)</c>, alternation,
/// quantifiers <c>? * + {n} {n,} {n,m}</c> (a lazy <c>?</c> suffix matches the same strings), and <c>^</c>/<c>$</c> at
/// the ends only. An unanchored side matches any text there, as JSON Schema's search semantics say. <c>.</c> and
/// negated classes produce only characters that need no JSON escape (a subset of what they match). Anything else
/// (backreferences, lookaround, <c>\b</c>, flags) is refused.
/// </summary>
internal sealed class PatternGrammar
{
    private readonly string _pattern;
    private int _pos;

    private PatternGrammar(string pattern) => _pattern = pattern;

    /// <summary>The GBNF expression for the string body (quotes excluded).</summary>
    /// <exception cref="FormatException">The pattern is outside the subset; the message says why.</exception>
    public static string Build(string pattern, GbnfRules rules)
    {
        bool start = pattern.StartsWith('^');
        bool end = pattern.EndsWith('$') && pattern.Length > (start ? 1 : 0) && !EndsEscaped(pattern);
        string body = pattern[(start ? 1 : 0)..(end ? pattern.Length - 1 : pattern.Length)];
        var parser = new PatternGrammar(body);
        string expr = parser.Alternation();
        if (parser._pos < body.Length)
            throw new FormatException($"unexpected '{body[parser._pos]}' at offset {parser._pos}");
        string any = JsonPrimitives.Char(rules) + "*";
        return $"{(start ? "" : any + " ")}({expr}){(end ? "" : " " + any)}";
    }

    // True when the final character is escaped: an odd run of backslashes before it.
    private static bool EndsEscaped(string pattern)
    {
        int backslashes = 0;
        for (int i = pattern.Length - 2; i >= 0 && pattern[i] == '\\'; i--)
            backslashes++;
        return backslashes % 2 == 1;
    }

    private bool More => _pos < _pattern.Length;
    private char Peek => _pattern[_pos];

    private string Alternation()
    {
        var branches = new List<string> { Sequence() };
        while (More && Peek == '|')
        {
            _pos++;
            branches.Add(Sequence());
        }
        return string.Join(" | ", branches);
    }

    private string Sequence()
    {
        var items = new List<string>();
        while (More && Peek is not ('|' or ')'))
            items.Add(Quantified(Atom()));
        return items.Count == 0 ? "\"\"" : string.Join(" ", items);
    }

    private string Quantified(string atom)
    {
        if (!More)
            return atom;
        string? q = Peek switch
        {
            '?' or '*' or '+' => Peek.ToString(),
            '{' => Braces(),
            _ => null,
        };
        if (q is null)
            return atom;
        _pos++;
        if (More && Peek == '?')
            _pos++; // lazy: same set of full matches
        if (More && Peek is '+' or '*' or '{')
            throw new FormatException($"unsupported quantifier at offset {_pos}");
        return $"({atom}){q}";
    }

    private string Braces()
    {
        int close = _pattern.IndexOf('}', _pos);
        string inner = close < 0 ? "" : _pattern[(_pos + 1)..close];
        string[] bounds = inner.Split(',');
        bool ok = bounds.Length is 1 or 2 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && (bounds.Length == 1 || bounds[1].Length == 0 || int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (!ok)
            throw new FormatException($"unsupported quantifier '{{{inner}}}' at offset {_pos}");
        _pos = close;
        return "{" + inner + "}";
    }

    private string Atom()
    {
        char c = _pattern[_pos++];
        switch (c)
        {
            case '(':
                if (More && Peek == '?')
                {
                    if (_pattern.AsSpan(_pos).StartsWith("?:"))
                        _pos += 2;
                    else if (_pattern.AsSpan(_pos).StartsWith("?<") && _pos + 2 < _pattern.Length && char.IsAsciiLetter(_pattern[_pos + 2]))
                        _pos = _pattern.IndexOf('>', _pos) + 1;
                    else
                        throw new FormatException($"lookaround and inline flags are not supported (offset {_pos - 1})");
                }
                string inner = Alternation();
                if (!More || Peek != ')')
                    throw new FormatException("unbalanced parenthesis");
                _pos++;
                return $"({inner})";
            case '[':
                return Class();
            case '.':
                return PlainExcept([]);
            case '\\' when More && Peek is 'D' or 'W' or 'S':
                char kind = _pattern[_pos++];
                return PlainExcept(kind switch { 'D' => [('0', '9')], 'W' => [('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], _ => [(' ', ' '), ('\t', '\r')] });
            case '\\':
                return CharSet.ToGbnf(Escape());
            case '^' or '$':
                throw new FormatException($"anchors are supported only at the start and end of the pattern (offset {_pos - 1})");
            case ')' or '*' or '+' or '?' or '{' or '|':
                throw new FormatException($"unexpected '{c}' at offset {_pos - 1}");
            default:
                int cp = CodePoint(c);
                return CharSet.ToGbnf([(cp, cp)]);
        }
    }

    // A literal character as a code point: a UTF-16 surrogate pair is one character outside the BMP.
    private int CodePoint(char c)
    {
        if (char.IsHighSurrogate(c) && More && char.IsLowSurrogate(Peek))
            return char.ConvertToUtf32(c, _pattern[_pos++]);
        if (char.IsSurrogate(c))
            throw new FormatException($"lone surrogate at offset {_pos - 1}");
        return c;
    }

    private string Class()
    {
        bool negated = More && Peek == '^';
        if (negated)
            _pos++;
        var ranges = new List<(int Lo, int Hi)>();
        while (More && Peek != ']')
        {
            var lo = ClassItem();
            if (lo.Count == 1 && lo[0].Lo == lo[0].Hi && _pos + 1 < _pattern.Length && Peek == '-' && _pattern[_pos + 1] != ']')
            {
                _pos++;
                var hi = ClassItem();
                if (hi.Count != 1 || hi[0].Lo != hi[0].Hi || hi[0].Lo < lo[0].Lo)
                    throw new FormatException($"bad class range at offset {_pos}");
                ranges.Add((lo[0].Lo, hi[0].Lo));
            }
            else
                ranges.AddRange(lo);
        }
        if (!More)
            throw new FormatException("unterminated character class");
        _pos++;
        return negated ? PlainExcept(ranges) : CharSet.ToGbnf(ranges);
    }

    private List<(int Lo, int Hi)> ClassItem()
    {
        char c = _pattern[_pos++];
        if (c == '\\')
            return Escape();
        int cp = CodePoint(c);
        return [(cp, cp)];
    }

    // Characters that need no JSON escape, minus the given ones.
    private static string PlainExcept(List<(int Lo, int Hi)> excluded)
    {
        var s = new StringBuilder("[^\"\\\\\\x00-\\x1F\\x7F");
        foreach (var (lo, hi) in excluded)
            s.Append(lo == hi ? Gbnf.ClassChar(lo) : $"{Gbnf.ClassChar(lo)}-{Gbnf.ClassChar(hi)}");
        return s.Append(']').ToString();
    }

    private List<(int Lo, int Hi)> Escape()
    {
        if (!More)
            throw new FormatException("pattern ends with a backslash");
        char c = _pattern[_pos++];
        switch (c)
        {
            case 'd': return [('0', '9')];
            case 'w': return [('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
            case 's': return [(' ', ' '), ('\t', '\r')];
            case 'n': return [('\n', '\n')];
            case 't': return [('\t', '\t')];
            case 'r': return [('\r', '\r')];
            case 'f': return [('\f', '\f')];
            case 'v': return [('\v', '\v')];
            case 'x': return [Hex(2)];
            case 'u': return [Utf16Escape()];
            case var m when !char.IsAsciiLetterOrDigit(m): return [(m, m)];
            default: throw new FormatException($"unsupported escape '\\{c}' at offset {_pos - 2}");
        }
    }

    // \uHHHH, where a high surrogate must be followed by \uHHHH of a low one: together one code point.
    private (int, int) Utf16Escape()
    {
        var (v, _) = Hex(4);
        if (char.IsHighSurrogate((char)v) && _pattern.AsSpan(_pos).StartsWith("\\u"))
        {
            _pos += 2;
            var (low, _) = Hex(4);
            if (!char.IsLowSurrogate((char)low))
                throw new FormatException($"lone surrogate at offset {_pos - 12}");
            int cp = char.ConvertToUtf32((char)v, (char)low);
            return (cp, cp);
        }
        if (char.IsSurrogate((char)v))
            throw new FormatException($"lone surrogate at offset {_pos - 6}");
        return (v, v);
    }

    private (int, int) Hex(int digits)
    {
        if (_pos + digits > _pattern.Length || !int.TryParse(_pattern.AsSpan(_pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            throw new FormatException($"bad hex escape at offset {_pos}");
        _pos += digits;
        return (v, v);
    }
}
