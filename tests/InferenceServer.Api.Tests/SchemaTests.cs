using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>Responses and stream chunks validated against the official OpenAI OpenAPI schemas; on the fake model (see <see cref="ContractCollection"/>).</summary>
[Collection(ContractCollection.Name)]
public sealed class SchemaTests(ContractServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private static void AssertValid(string schema, string json)
    {
        var errors = OpenAiSchema.Validate(schema, json);
        Assert.True(errors.Count == 0, $"{schema} invalid:\n{string.Join('\n', errors.Take(10))}\n{json}");
    }

    [SkippableFact]
    public async Task Chat_completion_and_its_chunks_match_the_openai_schemas()
    {
        var body = new
        {
            model = fixture.ModelId, messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 6, temperature = 0,
        };
        using var response = await Server.PostAsync("v1/chat/completions", body);
        AssertValid("CreateChatCompletionResponse", await response.Content.ReadAsStringAsync());

        var events = await Server.StreamAsync("v1/chat/completions", new
        {
            model = fixture.ModelId, messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 6, temperature = 0,
            stream = true, stream_options = new { include_usage = true },
        });
        foreach (var chunk in events[..^1])
            AssertValid("CreateChatCompletionStreamResponse", chunk);
    }

    [SkippableFact]
    public async Task Completion_models_and_errors_match_the_openai_schemas()
    {
        using var completion = await Server.PostAsync("v1/completions", new { model = fixture.ModelId, prompt = "hi", max_tokens = 4 });
        AssertValid("CreateCompletionResponse", await completion.Content.ReadAsStringAsync());

        AssertValid("ListModelsResponse", await Server.Http.GetStringAsync("v1/models"));
        AssertValid("Model", await Server.Http.GetStringAsync($"v1/models/{fixture.ModelId}"));

        using var error = await Server.PostJsonAsync("v1/chat/completions", "{\"model\":\"x\"}");
        AssertValid("ErrorResponse", await error.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public void The_validator_rejects_what_the_schema_forbids()
    {
        var errors = OpenAiSchema.Validate("CreateChatCompletionResponse",
            JsonNode.Parse("""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0}]}""")!.ToJsonString());
        Assert.NotEmpty(errors);
    }
}
