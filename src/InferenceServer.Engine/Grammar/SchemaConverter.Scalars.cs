using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

internal sealed partial class SchemaConverter
{
    private string StringRule(JsonElement s, string path, string name)
    {
        string quote = "\"\\\"\"";
        if (Get(s, "format") is { } format)
        {
            NotWith(s, path, "format", "pattern", "minLength", "maxLength");
            string rule = format.ValueKind == JsonValueKind.String ? FormatGrammars.Build(format.GetString()!, _rules) ?? "" : "";
            if (rule.Length == 0)
                throw Error(Join(path, "format"), $"must be one of {string.Join(", ", FormatGrammars.Names)}");
            return _rules.Add(name, $"{quote} {rule} {quote}");
        }
        if (Get(s, "pattern") is { } pattern)
        {
            NotWith(s, path, "pattern", "minLength", "maxLength");
            if (pattern.ValueKind != JsonValueKind.String)
                throw Error(Join(path, "pattern"), "must be a string");
            try
            {
                return _rules.Add(name, $"{quote} {PatternGrammar.Build(pattern.GetString()!, _rules)} {quote}");
            }
            catch (FormatException ex)
            {
                throw Error(Join(path, "pattern"), $"is outside the supported regex subset: {ex.Message}");
            }
        }
        int min = Count(s, path, "minLength") ?? 0;
        int? max = Count(s, path, "maxLength");
        if (max < min)
            throw Error(Join(path, "maxLength"), "is below minLength");
        return min == 0 && max is null ? JsonPrimitives.String(_rules) : _rules.Add(name, JsonPrimitives.String(_rules, min, max));
    }

    private string IntegerRule(JsonElement s, string path, string name)
    {
        long? min = Bound(s, path, "minimum", Math.Ceiling), max = Bound(s, path, "maximum", Math.Floor);
        string minKeyword = "minimum", maxKeyword = "maximum";
        if (Bound(s, path, "exclusiveMinimum", x => Math.Floor(x) + 1) is { } exMin && exMin > (min ?? long.MinValue))
            (min, minKeyword) = (exMin, "exclusiveMinimum");
        if (Bound(s, path, "exclusiveMaximum", x => Math.Ceiling(x) - 1) is { } exMax && exMax < (max ?? long.MaxValue))
            (max, maxKeyword) = (exMax, "exclusiveMaximum");
        if (min is null && max is null)
            return JsonPrimitives.Integer(_rules);
        if (IntegerRange.Build(min, max) is { } range)
            return _rules.Add(name, range);
        // Empty: the bounds cross, or one lies past the 16-digit integers the grammar produces.
        if (min > max)
            throw Error(Join(path, minKeyword), $"leaves no integer between the bounds ('{minKeyword}' is above '{maxKeyword}')");
        throw Error(Join(path, max < 0 ? maxKeyword : minKeyword),
            $"leaves no integer of at most {IntegerRange.MaxDigits} digits, the longest this server generates");
    }

    private string NumberRule(JsonElement s, string path)
    {
        foreach (string keyword in (string[])["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])
            if (Get(s, keyword) is not null)
                throw Error(Join(path, keyword), $"uses '{keyword}' on a number; bounds are enforced for integers only");
        return JsonPrimitives.Number(_rules);
    }

    private static long? Bound(JsonElement s, string path, string keyword, Func<double, double> round)
    {
        if (Get(s, keyword) is not { } v)
            return null;
        if (v.ValueKind != JsonValueKind.Number)
            throw Error(Join(path, keyword), "must be a number");
        return (long)Math.Clamp(round(v.GetDouble()), -1e17, 1e17);
    }

    /// <summary>A non-negative integer keyword (minLength, maxItems, ...), or null when absent.</summary>
    internal static int? Count(JsonElement s, string path, string keyword)
    {
        if (Get(s, keyword) is not { } v)
            return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0)
            throw Error(Join(path, keyword), "must be a non-negative integer");
        return n;
    }

    private static void NotWith(JsonElement s, string path, string keyword, params string[] others)
    {
        foreach (string other in others)
            if (other != keyword && Get(s, other) is not null)
                throw Error(Join(path, other), $"cannot be combined with '{keyword}' in the same schema");
    }
}
