using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

/// <summary>GBNF text helpers: literals, character classes, repetition, and JSON text of constant values.</summary>
internal static partial class Gbnf
{
    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A GBNF string literal matching exactly <paramref name="text"/>.</summary>
    public static string Literal(string text)
    {
        var s = new StringBuilder("\"");
        foreach (char c in text)
            s.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\x{(int)c:X2}",
                _ => c.ToString(),
            });
        return s.Append('"').ToString();
    }

    /// <summary>One code point written for use inside a GBNF character class.</summary>
    public static string ClassChar(int codePoint) => codePoint switch
    {
        '\\' => "\\\\",
        // llama.cpp's class parser knows no \- or \^ escape: hex escapes are always literal.
        ']' or '-' or '^' or '[' or < 0x20 or 0x7F => $"\\x{codePoint:X2}",
        > 0xFFFF => $"\\U{codePoint:X8}",
        > 0x7E => $"\\u{codePoint:X4}",
        _ => ((char)codePoint).ToString(),
    };

    /// <summary>The compact JSON text of a constant value (<c>enum</c>, <c>const</c>), as a literal.</summary>
    public static string JsonLiteral(JsonElement value) => Literal(RawSupplementary(JsonSerializer.Serialize(value, CompactJson)));

    /// <summary>The JSON text of a string (quotes included), as a literal.</summary>
    public static string JsonStringLiteral(string value) => Literal(RawSupplementary(JsonSerializer.Serialize(value, CompactJson)));

    // System.Text.Json escapes characters past U+FFFF as surrogate pairs (\uD83D\uDE00) even with the relaxed encoder;
    // a model writes them as themselves, so the literal holds the character (an escape preceded by an escaped
    // backslash is left alone).
    private static string RawSupplementary(string json) => SurrogateEscape().Replace(json, m =>
        m.Groups[1].Value + char.ConvertFromUtf32(char.ConvertToUtf32(
            (char)int.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            (char)int.Parse(m.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\\)((?:\\\\)*)\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex SurrogateEscape();

    /// <summary>
    /// <paramref name="item"/> repeated <paramref name="min"/> to <paramref name="max"/> times (null: unbounded), with
    /// <paramref name="separator"/> between repetitions.
    /// </summary>
    public static string Repeat(string item, int min, int? max, string separator = "")
    {
        if (max == 0)
            return "\"\"";
        string sep = separator.Length == 0 ? "" : separator + " ";
        if (min == 0)
            return $"({Repeat(item, 1, max, separator)})?";
        string rest = max is { } m ? (m - 1 == 0 ? "" : $" ({sep}{item}){Bounds(min - 1, m - 1)}") : $" ({sep}{item}){Bounds(min - 1, null)}";
        return item + rest;
    }

    private static string Bounds(int min, int? max) => (min, max) switch
    {
        (0, null) => "*",
        (1, null) => "+",
        (_, null) => $"{{{min},}}",
        (0, 1) => "?",
        _ when min == max => $"{{{min}}}",
        _ => $"{{{min},{max}}}",
    };

    /// <summary><paramref name="value"/> as invariant-culture text.</summary>
    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
