namespace InferenceServer.Engine.Grammar;

/// <summary>
/// GBNF for the string bodies of the supported <c>format</c> values (RFC 3339 <c>date</c>, <c>time</c>,
/// <c>date-time</c>; RFC 4122 <c>uuid</c>; a plain <c>email</c>). Each produces only valid values, a subset of them:
/// years 1000–9999, no leap seconds, UTC offsets within ±13:59 (.NET's limit is ±14:00), February up to the 28th, lowercase uuids, emails of ASCII letters, digits and
/// <c>_</c> in dot-separated labels.
/// </summary>
internal static class FormatGrammars
{
    /// <summary>The format names accepted.</summary>
    public static readonly IReadOnlyList<string> Names = ["date", "time", "date-time", "uuid", "email"];

    /// <summary>The rule name for <paramref name="format"/>, or null when it is not supported.</summary>
    public static string? Build(string format, GbnfRules r) => format switch
    {
        "date" => Date(r),
        "time" => Time(r),
        "date-time" => r.Primitive("format-date-time", $"{Date(r)} \"T\" {Time(r)}"),
        "uuid" => r.Primitive("format-uuid", "[0-9a-f]{8} \"-\" [0-9a-f]{4} \"-\" [1-5] [0-9a-f]{3} \"-\" [89ab] [0-9a-f]{3} \"-\" [0-9a-f]{12}"),
        "email" => r.Primitive("format-email",
            "[a-zA-Z0-9_]{1,16} (\".\" [a-zA-Z0-9_]{1,16}){0,2} \"@\" [a-zA-Z0-9]{1,16} (\".\" [a-zA-Z0-9]{1,16}){0,2} \".\" [a-zA-Z]{2,6}"),
        _ => null,
    };

    private static string Date(GbnfRules r) => r.Primitive("format-date",
        "[1-9] [0-9]{3} \"-\" ((\"0\" [13578] | \"1\" [02]) \"-\" (\"0\" [1-9] | [12] [0-9] | \"3\" [01])"
        + " | (\"0\" [469] | \"11\") \"-\" (\"0\" [1-9] | [12] [0-9] | \"30\")"
        + " | \"02\" \"-\" (\"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8]))");

    private static string Time(GbnfRules r) => r.Primitive("format-time",
        "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] (\".\" [0-9]{1,3})? (\"Z\" | [+-] (\"0\" [0-9] | \"1\" [0-3]) \":\" [0-5] [0-9])");
}
