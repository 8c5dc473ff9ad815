using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Json.Schema;

namespace InferenceServer.Api.Tests.StructuredOutputs;

/// <summary>
/// The property structured outputs promise: on a random-weights model (the demo model), at temperatures 0, 1 and 1.5
/// and several seeds, every output of a <c>json_schema</c> request ends by itself, parses, and validates against the
/// schema (JsonSchema.Net, formats checked).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class StructuredOutputPropertyTests(DemoServerFixture fixture)
{
    // Far above what any of the bounded schemas needs, so "length" here would mean the grammar failed to end output.
    private const int MaxTokens = 1200;
    private static readonly (double Temperature, int Seed)[] Draws = [(0, 1), (1, 1), (1, 2), (1.5, 1), (1.5, 2)];

    public static TheoryData<int> Indexes => [.. Enumerable.Range(0, PropertySchemas.All.Length)];

    [Theory]
    [MemberData(nameof(Indexes))]
    public async Task Every_output_ends_parses_and_validates(int index)
    {
        string schemaText = PropertySchemas.All[index];
        var schema = JsonSchema.FromText(schemaText);
        var responses = await Task.WhenAll(Draws.Select(d => fixture.Server.ChatAsync(Request(schemaText, d.Temperature, d.Seed))));
        foreach (var (response, draw) in responses.Zip(Draws))
        {
            var choice = response["choices"]![0]!;
            string content = (string)choice["message"]!["content"]!;
            string context = $"schema {index} at temperature {draw.Temperature}, seed {draw.Seed}: {content}";
            Assert.True((string?)choice["finish_reason"] == "stop", $"{context} ended with {choice["finish_reason"]}");
            var result = schema.Evaluate(JsonNode.Parse(content),
                new EvaluationOptions { RequireFormatValidation = true, OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{context} is invalid: " +
                string.Join("; ", result.Details.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        }
    }

    private object Request(string schema, double temperature, int seed) => new
    {
        model = fixture.ModelId,
        messages = new[] { new { role = "user", content = "Answer in JSON." } },
        temperature, seed, max_tokens = MaxTokens,
        response_format = new { type = "json_schema", json_schema = new { name = "answer", schema = JsonNode.Parse(schema), strict = true } },
    };
}
