using System.Text.Json.Nodes;
using Json.Schema;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// Validates JSON against a schema of the official OpenAI OpenAPI description (../shared/spec/openai-openapi.json).
/// OpenAPI's <c>nullable: true</c> is rewritten as "or null" so JSON Schema 2020-12 understands it.
/// Skips (via Skip.If) when the spec file is absent.
/// </summary>
public static class OpenAiSchema
{
    private static readonly Uri BaseUri = new("https://openai.invalid/openapi.json");
    private static readonly Lazy<bool> Loaded = new(Load);

    /// <summary>Returns the validation errors of <paramref name="json"/> against <c>components.schemas.<paramref name="schemaName"/></c>.</summary>
    public static IReadOnlyList<string> Validate(string schemaName, string json)
    {
        Skip.If(!Loaded.Value, "../shared/spec/openai-openapi.json is not present");
        var schema = JsonSchema.FromText($$"""{"$ref": "{{BaseUri}}#/$defs/{{schemaName}}"}""");
        var result = schema.Evaluate(JsonNode.Parse(json), new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid ? [] : result.Details.Where(d => d.HasErrors)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).ToList();
    }

    private static bool Load()
    {
        if (SharedFiles.Find("spec/openai-openapi.json") is not { } path)
            return false;
        // Only components.schemas matter; they become $defs of one 2020-12 schema so every $ref is a real schema location.
        string text = File.ReadAllText(path).Replace("#/components/schemas/", "#/$defs/");
        var defs = RewriteNullable(JsonNode.Parse(text)!["components"]!["schemas"])!;
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = BaseUri.ToString(),
            ["$defs"] = defs,
        };
        SchemaRegistry.Global.Register(BaseUri, JsonSchema.FromText(root.ToJsonString()));
        return true;
    }

    private static JsonNode? RewriteNullable(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                bool nullable = false;
                foreach (var (key, value) in obj)
                {
                    if (key == "nullable" && value is JsonValue v && v.TryGetValue(out bool b))
                        nullable = b;
                    else if (key is "exclusiveMinimum" or "exclusiveMaximum" && value is JsonValue e && e.TryGetValue(out bool _))
                        continue; // OpenAPI 3.0's boolean form; 2020-12 wants a number (only a fine-tuning schema uses it)
                    else
                        copy[key] = RewriteNullable(value);
                }
                return nullable ? new JsonObject { ["anyOf"] = new JsonArray(copy, new JsonObject { ["type"] = "null" }) } : copy;
            case JsonArray arr:
                return new JsonArray(arr.Select(RewriteNullable).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
