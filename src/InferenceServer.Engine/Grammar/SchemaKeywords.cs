namespace InferenceServer.Engine.Grammar;

/// <summary>The schema keywords the converter knows: enforced ones, and annotations it accepts and ignores.</summary>
internal static class SchemaKeywords
{
    /// <summary>Keywords turned into grammar.</summary>
    public static IReadOnlySet<string> Enforced { get; } = new HashSet<string>
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
        "$defs", "definitions", "items", "prefixItems", "minItems", "maxItems", "minLength", "maxLength", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "format",
    };

    /// <summary>Annotations that do not constrain a value; accepted and ignored by design.</summary>
    public static IReadOnlySet<string> Annotations { get; } = new HashSet<string>
    {
        "title", "description", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
    };
}
