using System.Text.Json;
using InferenceServer.Api.Errors;
using InferenceServer.Engine.Grammar;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Reads <c>response_format</c> (OpenAI: <c>text</c>, <c>json_object</c>, <c>json_schema</c>) and <c>grammar</c>
/// (GBNF, as llama.cpp's server takes it) into the one grammar a request's output must match.
/// </summary>
internal static class StructuredOutputParser
{
    /// <summary>Longest accepted GBNF text in characters.</summary>
    public const int MaxGrammarLength = 65536;

    /// <summary>Deepest accepted nesting of parentheses in a GBNF text (llama.cpp's parser recurses per level).</summary>
    public const int MaxGrammarNesting = 64;

    /// <summary>The grammar and the request field it came from, or (null, null) when the output is free text.</summary>
    /// <exception cref="ApiException">400 naming the field or schema keyword at fault.</exception>
    public static (string? Grammar, string? Param) Parse(JsonFieldReader r)
    {
        string? grammar = r.String("grammar");
        var fromFormat = ResponseFormat(r);
        if (grammar is not null && fromFormat is not null)
            throw ApiException.BadRequest("Set either 'grammar' or a JSON 'response_format', not both.", "grammar", "invalid_value");
        if (grammar is not null)
        {
            CheckGbnf(grammar);
            return (grammar, "grammar");
        }
        return fromFormat is null ? (null, null) : (fromFormat, "response_format");
    }

    private static string? ResponseFormat(JsonFieldReader r)
    {
        if (r.Object("response_format") is not { } format)
            return null;
        var fr = new JsonFieldReader(format);
        string type = Nested.Read(() => fr.String("type"), "response_format", "type")
            ?? throw Nested.Missing("response_format.type");
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                return JsonSchemaGrammar.AnyObject();
            case "json_schema":
                return JsonSchema(fr);
            default:
                throw ApiException.BadRequest(
                    $"Invalid value: '{type}'. Supported values are: 'text', 'json_object', and 'json_schema'.", "response_format.type", "invalid_value");
        }
    }

    private static string JsonSchema(JsonFieldReader fr)
    {
        const string at = "response_format.json_schema";
        var spec = Nested.Read(() => fr.Object("json_schema"), "response_format", "json_schema")
            ?? throw Nested.Missing(at);
        var sr = new JsonFieldReader(spec);
        string name = Nested.Read(() => sr.String("name"), at, "name")
            ?? throw Nested.Missing($"{at}.name");
        // OpenAI's rule for the name: a-z, A-Z, 0-9, underscores and dashes, at most 64 characters.
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw ApiException.BadRequest($"Invalid '{at}.name': use 1 to 64 letters, digits, underscores or dashes.", $"{at}.name", "invalid_value");
        Nested.Read(() => sr.String("description"), at, "description");
        bool strict = Nested.Read(() => sr.Bool("strict"), at, "strict") ?? false;
        // No schema: any JSON value, as OpenAI's reference describes for an absent schema.
        var schema = sr.Get("schema");
        if (schema is { ValueKind: not (JsonValueKind.Object or JsonValueKind.True) } bad)
            throw JsonFieldReader.WrongType($"{at}.schema", "an object", bad);
        try
        {
            return schema is { } s ? JsonSchemaGrammar.FromSchema(s, strict) : JsonSchemaGrammar.FromSchema(JsonDocument.Parse("true").RootElement, strict);
        }
        catch (UnsupportedSchemaException ex)
        {
            string param = ex.Path.Length == 0 ? $"{at}.schema" : $"{at}.schema.{ex.Path}";
            throw ApiException.BadRequest($"Unsupported schema in '{at}.schema': {ex.Message}", param, "unsupported_parameter");
        }
    }

    // Refuses texts llama.cpp's parser should not be handed: NULs (C strings) and nesting deep enough to exhaust its
    // recursion. Whether the grammar parses is llama.cpp's call, made when the request is started.
    private static void CheckGbnf(string grammar)
    {
        if (grammar.Length > MaxGrammarLength)
            throw ApiException.BadRequest($"'grammar' is longer than {MaxGrammarLength} characters.", "grammar", "invalid_value");
        if (grammar.Contains('\0'))
            throw ApiException.BadRequest("Invalid 'grammar': NUL characters are not allowed.", "grammar", "invalid_value");
        int depth = 0;
        char? quote = null;
        for (int i = 0; i < grammar.Length; i++)
        {
            char c = grammar[i];
            if (quote is { } q)
            {
                if (c == '\\')
                    i++;
                else if (c == q)
                    quote = null;
                continue;
            }
            if (c is '"' or '[')
                quote = c == '"' ? '"' : ']';
            else if (c == '#')
                while (i + 1 < grammar.Length && grammar[i + 1] != '\n')
                    i++;
            else if (c == '(' && ++depth > MaxGrammarNesting)
                throw ApiException.BadRequest($"Invalid 'grammar': parentheses nest deeper than {MaxGrammarNesting} levels.", "grammar", "invalid_value");
            else if (c == ')')
                depth--;
        }
    }
}
