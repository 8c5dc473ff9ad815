using System.Text;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Renames a rule of a GBNF text everywhere it is defined or used, leaving string literals, character classes,
/// repetition counts and comments alone, so a grammar can be wrapped under a new <c>root</c>.
/// </summary>
internal static class GbnfRename
{
    /// <summary><paramref name="gbnf"/> with every reference to rule <paramref name="from"/> named <paramref name="to"/>.</summary>
    public static string Rule(string gbnf, string from, string to)
    {
        var text = new StringBuilder(gbnf.Length + 16);
        foreach (var (piece, isName) in Pieces(gbnf))
            text.Append(isName && piece == from ? to : piece);
        return text.ToString();
    }

    /// <summary>A rule name derived from <paramref name="hint"/> that <paramref name="gbnf"/> does not use.</summary>
    public static string FreshName(string gbnf, string hint)
    {
        var names = Pieces(gbnf).Where(p => p.IsName).Select(p => p.Text).ToHashSet();
        string name = hint;
        for (int i = 1; names.Contains(name); i++)
            name = $"{hint}-{i}";
        return name;
    }

    // The text cut into names and everything else (literals, classes, counts and comments whole).
    private static IEnumerable<(string Text, bool IsName)> Pieces(string gbnf)
    {
        int i = 0;
        while (i < gbnf.Length)
        {
            int start = i;
            char c = gbnf[i];
            if (char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')
            {
                while (i < gbnf.Length && (char.IsAsciiLetterOrDigit(gbnf[i]) || gbnf[i] == '-' || gbnf[i] == '_'))
                    i++;
                yield return (gbnf[start..i], true);
                continue;
            }
            i = c switch
            {
                '"' => Skip(gbnf, i, '"'),
                '[' => Skip(gbnf, i, ']'),
                '{' => Math.Max(gbnf.IndexOf('}', i), i) + 1,
                '#' => gbnf.IndexOf('\n', i) is var nl and >= 0 ? nl : gbnf.Length,
                _ => i + 1,
            };
            yield return (gbnf[start..Math.Min(i, gbnf.Length)], false);
        }
    }

    // Index just past the closing character (or the end of an unclosed literal; llama.cpp refuses that text anyway).
    private static int Skip(string text, int start, char close)
    {
        for (int i = start + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
                i++;
            else if (text[i] == close)
                return i + 1;
        }
        return text.Length;
    }
}
