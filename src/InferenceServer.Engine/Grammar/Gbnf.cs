using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

/// <summary>GBNF text helpers: literals, character classes, repetition, and JSON text of constant values.</summary>
internal static class Gbnf
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
    public static string JsonLiteral(JsonElement value) => Literal(JsonSerializer.Serialize(value, CompactJson));

    /// <summary>The JSON text of a string (quotes included), as a literal.</summary>
    public static string JsonStringLiteral(string value) => Literal(JsonSerializer.Serialize(value, CompactJson));

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
