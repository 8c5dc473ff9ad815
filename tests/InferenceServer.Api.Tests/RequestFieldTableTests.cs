using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The request-field table against the official OpenAI spec and against the parser, without a server: every OpenAI
/// field is classified, every field marked implemented is really read, every accepted "off" value really passes.
/// </summary>
public sealed class RequestFieldTableTests
{
    private static readonly HashSet<string> Extensions = ["top_k", "min_p", "ignore_eos", "chat_template_kwargs", "grammar", "response_format"];

    private const string ChatBody = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
    private const string CompletionBody = """{"model":"m","prompt":"hi"}""";

    public static TheoryData<string> Endpoints => new() { "chat", "completions" };

    private static (string Schema, IReadOnlyList<RequestField> Fields, string Body, Func<JsonDocument, GenerationRequest> Parse) Endpoint(
        string name) => name == "chat"
        ? ("CreateChatCompletionRequest", RequestFields.Chat, ChatBody, GenerationRequestParser.ParseChat)
        : ("CreateCompletionRequest", RequestFields.Completion, CompletionBody, GenerationRequestParser.ParseCompletion);

    [SkippableTheory]
    [MemberData(nameof(Endpoints))]
    public void Every_field_of_the_openai_request_schema_is_implemented_ignored_or_unsupported(string endpoint)
    {
        string? path = SharedFiles.Find("spec/openai-openapi.json");
        Skip.If(path is null, "../shared/spec/openai-openapi.json is not present");
        var schemas = JsonNode.Parse(File.ReadAllText(path))!["components"]!["schemas"]!.AsObject();
        var (schema, fields, _, _) = Endpoint(endpoint);

        var specFields = new SortedSet<string>(StringComparer.Ordinal);
        CollectProperties(schemas, schemas[schema]!, specFields);
        var table = fields.Select(f => f.Name).ToHashSet();

        var unclassified = specFields.Where(f => !table.Contains(f)).ToList();
        Assert.True(unclassified.Count == 0, $"{schema} fields in no list of the table: {string.Join(", ", unclassified)}");
        // Stale or misspelt rows: anything in the table is in the spec unless it is one of this server's extensions.
        var unknown = table.Where(f => !specFields.Contains(f) && !Extensions.Contains(f)).ToList();
        Assert.True(unknown.Count == 0, $"table rows not in {schema}: {string.Join(", ", unknown)}");
        if (endpoint == "chat")
        {
            // Reached only through allOf → CreateModelResponseProperties → allOf → ModelResponseProperties.
            Assert.Contains("safety_identifier", specFields);
            Assert.Contains("prompt_cache_options", specFields);
        }
    }

    // Object properties of a schema, through $ref and the allOf/anyOf/oneOf branches it is composed of.
    private static void CollectProperties(JsonObject schemas, JsonNode schema, ISet<string> into)
    {
        if (schema["$ref"] is { } reference)
            CollectProperties(schemas, schemas[((string)reference!).Split('/')[^1]]!, into);
        if (schema["properties"] is JsonObject properties)
            foreach (var (name, _) in properties)
                into.Add(name);
        foreach (string composition in (string[])["allOf", "anyOf", "oneOf"])
            if (schema[composition] is JsonArray parts)
                foreach (var part in parts)
                    CollectProperties(schemas, part!, into);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Each_field_has_one_row(string endpoint)
    {
        var fields = Endpoint(endpoint).Fields;
        Assert.Equal(fields.Count, fields.Select(f => f.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Every_implemented_field_is_read_by_the_parser(string endpoint)
    {
        // A value no field accepts: if the parser reads the field, it refuses it naming the field.
        var (_, fields, body, parse) = Endpoint(endpoint);
        foreach (string name in RequestFields.Names(fields, FieldSupport.Implemented))
        {
            var request = JsonNode.Parse(body)!.AsObject();
            request[name] = JsonNode.Parse("[[]]");
            var ex = Assert.Throws<ApiException>(() => parse(JsonDocument.Parse(request.ToJsonString())));
            Assert.Equal(400, ex.StatusCode);
            Assert.True(ex.Error.Param == name || ex.Error.Param!.StartsWith(name + "["), $"{name}: {ex.Error.Param} {ex.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Unsupported_fields_pass_when_null_or_set_to_their_off_value(string endpoint)
    {
        var (_, fields, body, parse) = Endpoint(endpoint);
        foreach (var field in fields.Where(f => f.Support == FieldSupport.Unsupported))
            foreach (string value in (string[])["null", .. field.AcceptedValues])
            {
                var request = JsonNode.Parse(body)!.AsObject();
                request[field.Name] = JsonNode.Parse(value);
                parse(JsonDocument.Parse(request.ToJsonString()));
            }
    }
}
