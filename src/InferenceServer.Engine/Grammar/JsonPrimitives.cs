namespace InferenceServer.Engine.Grammar;

/// <summary>
/// The GBNF rules of plain JSON values. Whitespace is at most one space where JSON allows it, and numbers have at
/// most 16 integer digits and 16 fraction digits (llama.cpp's JSON grammars bound them the same way), so a sampled
/// value always ends: nothing lets a model pad or extend a value forever except the content of strings and arrays.
/// </summary>
internal static class JsonPrimitives
{
    /// <summary>Optional whitespace: nothing or one space.</summary>
    public static string Ws(GbnfRules r) => r.Primitive("ws", "\" \"?");

    /// <summary>One character of a JSON string body: an unescaped character or an escape (lone surrogates excluded).</summary>
    public static string Char(GbnfRules r) => r.Primitive("char", $"[^\"\\\\\\x00-\\x1F\\x7F] | {Escape(r)}");

    /// <summary>A JSON escape sequence (lone surrogates excluded, so every string decodes).</summary>
    public static string Escape(GbnfRules r) => r.Primitive("escape",
        "\"\\\\\" ([\"\\\\/bfnrt] | \"u\" ([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))");

    /// <summary>Any JSON string.</summary>
    public static string String(GbnfRules r) => r.Primitive("string", $"\"\\\"\" {Char(r)}* \"\\\"\"");

    /// <summary>A JSON string of <paramref name="min"/> to <paramref name="max"/> characters.</summary>
    public static string String(GbnfRules r, int min, int? max) => $"\"\\\"\" {Gbnf.Repeat(Char(r), min, max)} \"\\\"\"";

    /// <summary>Integer digits without leading zeros: 0, or 1 to 16 digits starting with 1–9.</summary>
    public static string IntegralPart(GbnfRules r) => r.Primitive("integral-part", "\"0\" | [1-9] [0-9]{0,15}");

    /// <summary>Any JSON integer (no fraction or exponent).</summary>
    public static string Integer(GbnfRules r) => r.Primitive("integer", $"\"-\"? {IntegralPart(r)}");

    /// <summary>Any JSON number.</summary>
    public static string Number(GbnfRules r) =>
        r.Primitive("number", $"\"-\"? {IntegralPart(r)} (\".\" [0-9]{{1,16}})? ([eE] [-+]? {IntegralPart(r)})?");

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static string Boolean(GbnfRules r) => r.Primitive("boolean", "\"true\" | \"false\"");

    /// <summary><c>null</c>.</summary>
    public static string Null(GbnfRules r) => r.Primitive("null", "\"null\"");

    /// <summary>Any JSON value.</summary>
    public static string Value(GbnfRules r)
    {
        if (r.Has("value"))
            return "value";
        r.Primitive("value", "object | array | string | number | boolean | null");
        string ws = Ws(r);
        r.Primitive("object", $"\"{{\" {ws} ({String(r)} \":\" {ws} value (\",\" {ws} {String(r)} \":\" {ws} value)* {ws})? \"}}\"");
        r.Primitive("array", $"\"[\" {ws} (value (\",\" {ws} value)* {ws})? \"]\"");
        Number(r);
        Boolean(r);
        Null(r);
        return "value";
    }

    /// <summary>Any JSON object.</summary>
    public static string Object(GbnfRules r)
    {
        Value(r);
        return "object";
    }
}
