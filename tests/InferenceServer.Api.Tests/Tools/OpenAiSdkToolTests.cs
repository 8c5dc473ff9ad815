using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// The official OpenAI .NET SDK reads the server's tool calls, whole and streamed, and sends them back with the tool's
/// result for the next turn. A handler adds a <c>grammar</c> to each request so the random-weights model writes a
/// known call.
/// </summary>
[Collection(Infrastructure.ServerCollection.Name)]
public sealed class OpenAiSdkToolTests(ToolTemplateServer fixture) : IClassFixture<ToolTemplateServer>
{
    private const string Reply = "</think><tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>";

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private ChatClient Client(string reply) => new(fixture.Server.Model.ModelId, new ApiKeyCredential("unused"), new OpenAIClientOptions
    {
        Endpoint = new Uri(fixture.Server.BaseAddress, "v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(new GrammarHandler(ToolCallingTests.Exactly(reply)))),
    });

    private static ChatCompletionOptions Options => new()
    {
        Tools = { Weather }, ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), MaxOutputTokenCount = 200,
    };

    [Fact]
    public async Task The_sdk_reads_a_call_and_sends_it_back_with_the_result()
    {
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];
        ChatCompletion first = await Client(Reply).CompleteChatAsync(messages, Options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", (string?)JsonNode.Parse(call.FunctionArguments.ToString())!["city"]);

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "sunny"));
        ChatCompletion second = await Client("</think>It is sunny in Paris.").CompleteChatAsync(messages,
            new ChatCompletionOptions { Tools = { Weather }, MaxOutputTokenCount = 200 });

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal("It is sunny in Paris.", second.Content[0].Text);
        Assert.Empty(second.ToolCalls);
    }

    [Fact]
    public async Task The_sdk_assembles_streamed_tool_call_updates()
    {
        var arguments = new StringBuilder();
        string? id = null, name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Client(Reply).CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], Options))
        {
            foreach (var piece in update.ToolCallUpdates)
            {
                Assert.Equal(0, piece.Index);
                id ??= piece.ToolCallId;
                name ??= piece.FunctionName;
                arguments.Append(piece.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }

        Assert.StartsWith("call_", id);
        Assert.Equal("get_weather", name);
        Assert.Equal("Paris", (string?)JsonNode.Parse(arguments.ToString())!["city"]);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    /// <summary>Adds <c>grammar</c> to each JSON request body.</summary>
    private sealed class GrammarHandler(string grammar) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
            body["grammar"] = grammar;
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
