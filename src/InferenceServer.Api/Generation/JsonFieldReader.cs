using System.Text.Json;
using InferenceServer.Api.Errors;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Reads typed optional fields of a JSON request object, throwing a 400 <see cref="ApiException"/> that names the
/// field when a value has the wrong type or range. JSON null counts as absent; unknown fields are ignored. Strings
/// always decode: lone surrogate escapes were refused when the body was read (<see cref="Endpoints.RequestBody"/>).
/// </summary>
internal readonly struct JsonFieldReader(JsonElement root)
{
    public JsonElement? Get(string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw WrongType(name, "a string", v)
        : null;

    public JsonElement? Object(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Object ? v : throw WrongType(name, "an object", v)
        : null;

    public bool? Bool(string name) => Get(name) is { } v
        ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw WrongType(name, "a boolean", v)
        : null;

    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } v)
            return null;
        if (v.ValueKind != JsonValueKind.Number)
            throw WrongType(name, "a number", v);
        double x = v.GetDouble();
        if (x < min || x > max)
            throw ApiException.BadRequest($"{x} is out of range for '{name}': expected a value from {min} to {max}.", name, "invalid_value");
        return x;
    }

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } v)
            return null;
        if (v.ValueKind == JsonValueKind.Number && !v.TryGetInt64(out _) && IsWholeNumber(v.GetRawText()))
            throw ApiException.BadRequest(v.GetRawText().StartsWith('-')
                    ? $"Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {v.GetRawText()} instead."
                    : $"Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {v.GetRawText()} instead.",
                name, "invalid_value");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x))
            throw WrongType(name, "an integer", v);
        if (x < min || x > max)
            throw ApiException.BadRequest(
                x < min ? $"Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {x} instead."
                        : $"Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {x} instead.",
                name, "invalid_value");
        return x;
    }

    // An integer literal (no fraction or exponent) too large for 64 bits.
    private static bool IsWholeNumber(string raw) => raw.AsSpan().TrimStart('-').IndexOfAnyExcept("0123456789") < 0;

    public static ApiException WrongType(string name, string expected, JsonElement got) =>
        ApiException.BadRequest(
            $"Invalid type for '{name}': expected {expected}, but got {Describe(got.ValueKind)} instead.", name, "invalid_type");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
