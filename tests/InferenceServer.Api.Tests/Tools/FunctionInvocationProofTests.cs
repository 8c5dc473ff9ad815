using System.ClientModel;
using System.ClientModel.Primitives;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using OpenAI;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof that Microsoft.Extensions.AI's function-invoking chat client, over the OpenAI SDK, runs a tool loop against a
/// random-weights model with a real template (skipped without ../shared): the forced call (no grammar from the client)
/// reaches the .NET function with arguments that validate against the schema MEAI generated for it, the result goes
/// back, and the model's text is the final answer. The city parameter carries <c>[StringLength]</c>, which MEAI turns
/// into <c>maxLength</c>: unbounded, a random model's string can outrun max_tokens and leave the call unfinished.
/// </summary>
/// <remarks>
/// Ending the loop: <c>FunctionInvokingChatClient</c> keeps <c>ChatOptions.Tools</c> on every turn but resets a
/// <see cref="RequiredChatToolMode"/> to null after the first iteration (otherwise a required call would loop forever),
/// so the second request says <c>tool_choice: "auto"</c> (the OpenAI adapter's mapping of no mode with tools) and the
/// model may answer in text.
/// <see cref="FunctionInvokingChatClient.MaximumIterationsPerRequest"/> = 2 bounds the loop in case the model calls
/// again: MEAI's last iteration sends no tools. The test checks the <c>tool_choice</c> of each request it sent.
/// </remarks>
[Collection(ServerCollection.Name)]
public sealed class FunctionInvocationProofTests(Qwen25ServerFixture fixture) : IClassFixture<Qwen25ServerFixture>
{
    public enum Unit { Celsius, Fahrenheit }

    [SkippableFact]
    public async Task The_function_invoking_client_calls_the_function_and_returns_a_final_answer()
    {
        fixture.SkipIfAbsent();
        var requests = new RequestRecorder();
        var openAi = new OpenAI.Chat.ChatClient(fixture.ModelId, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(fixture.Server!.BaseAddress, "v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(requests)),
        });
        var client = new ChatClientBuilder(openAi.AsIChatClient())
            .UseFunctionInvocation(configure: c => c.MaximumIterationsPerRequest = 2)
            .Build();
        var invocations = new List<(string City, Unit Unit, int Days)>();
        var weather = AIFunctionFactory.Create(
            ([Description("City name"), StringLength(12, MinimumLength = 1)] string city, Unit unit, [Description("Days ahead"), Range(1, 7)] int days) =>
            {
                invocations.Add((city, unit, days));
                return $"Sunny in {city} for {days} days.";
            },
            "get_weather", "Weather forecast for a city.");

        var response = await client.GetResponseAsync("Weather in Paris for 3 days?", new ChatOptions
        {
            Tools = [weather], ToolMode = ChatToolMode.RequireAny, AllowMultipleToolCalls = false,
            Temperature = 0, MaxOutputTokens = 200,
        });

        var invoked = Assert.Single(invocations);
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.Equal("get_weather", call.Name);
        ProofTools.AssertValidates(weather.JsonSchema.GetRawText(), JsonSerializer.Serialize(call.Arguments), "MEAI call");
        Assert.Equal((string?)call.Arguments!["city"]?.ToString(), invoked.City);
        var result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Equal(call.CallId, result.CallId);
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.DoesNotContain(ProofTools.Markup, m => response.Text.Contains(m));

        Assert.Equal(2, requests.Bodies.Count);
        Assert.Equal("required", (string?)requests.Bodies[0]["tool_choice"]);
        Assert.Equal("auto", (string?)requests.Bodies[1]["tool_choice"]);
        Assert.NotNull(requests.Bodies[1]["tools"]);
    }

    /// <summary>Keeps the JSON body of each request it forwards.</summary>
    private sealed class RequestRecorder() : DelegatingHandler(new HttpClientHandler())
    {
        public List<JsonNode> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = await request.Content!.ReadAsStringAsync(cancellationToken);
            Bodies.Add(JsonNode.Parse(body)!);
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
