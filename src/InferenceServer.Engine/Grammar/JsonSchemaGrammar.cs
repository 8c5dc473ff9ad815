using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Converts JSON Schemas to GBNF grammars for llama.cpp's grammar sampler (behaviour modelled on llama.cpp's
/// <c>json-schema-to-grammar</c>; supported keywords in <see cref="SchemaKeywords"/>). Every output the grammar admits
/// validates against the schema; a keyword it cannot enforce is refused, never ignored.
/// </summary>
/// <remarks>
/// Decisions: an object schema with <c>properties</c> and no <c>additionalProperties</c> admits only its listed
/// properties (OpenAI's strict mode demands <c>additionalProperties: false</c>; here it is the default), one without
/// <c>properties</c> admits any members. Properties appear in schema order. Whitespace is at most one space where JSON
/// allows it, so output cannot run on in padding.
/// </remarks>
public static class JsonSchemaGrammar
{
    /// <summary>The grammar of <paramref name="schema"/>.</summary>
    /// <param name="schema">The schema (draft 2020-12 keywords; <c>definitions</c> is read like <c>$defs</c>).</param>
    /// <param name="strict">Refuse constructs that are only approximated (<c>oneOf</c>, enforced as <c>anyOf</c>).</param>
    /// <exception cref="UnsupportedSchemaException">A keyword or value outside the supported set, or an empty schema.</exception>
    public static string FromSchema(JsonElement schema, bool strict = false) => new SchemaConverter(schema, strict).Convert();

    /// <summary>The grammar of any JSON object (<c>response_format: json_object</c>).</summary>
    public static string AnyObject()
    {
        var rules = new GbnfRules();
        return rules.Render(JsonPrimitives.Object(rules));
    }
}
