using System.ClientModel;
using InferenceServer.Api.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The official OpenAI .NET SDK, unmodified, against the server. The SDK exposes no public client for the legacy
/// /v1/completions endpoint, so that endpoint is exercised over raw HTTP in <see cref="StreamingTests"/>.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class OpenAiSdkTests(DemoServerFixture fixture)
{
    private OpenAIClientOptions Options => new() { Endpoint = new Uri(fixture.Server.BaseAddress, "v1") };
    private ChatClient Chat => new(fixture.ModelId, new ApiKeyCredential("not-needed"), Options);

    private static readonly ChatMessage[] Messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Say something about the world.")];

    [Fact]
    public async Task Chat_completion()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync(Messages,
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 });

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + 12, completion.Usage.TotalTokenCount);
        Assert.StartsWith("chatcmpl-", completion.Id);
    }

    [Fact]
    public async Task Streaming_chat_completion_equals_the_whole_one()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        ChatCompletion whole = await Chat.CompleteChatAsync(Messages, options);

        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync(Messages,
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 }))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        // The SDK asks for stream_options.include_usage itself.
        Assert.Equal(16, usage?.OutputTokenCount);
    }


    [Fact]
    public async Task Errors_surface_as_sdk_exceptions_with_the_status()
    {
        var badModel = new ChatClient("no-such-model", new ApiKeyCredential("x"), Options);
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => badModel.CompleteChatAsync(Messages));
        Assert.Equal(404, ex.Status);
        Assert.Contains("no-such-model", ex.Message);
    }

    [Fact]
    public async Task Models_are_listed()
    {
        var models = new OpenAIClient(new ApiKeyCredential("x"), Options).GetOpenAIModelClient();
        var list = await models.GetModelsAsync();
        Assert.Equal([fixture.ModelId], list.Value.Select(m => m.Id));
        var one = await models.GetModelAsync(fixture.ModelId);
        Assert.Equal("inference-server", one.Value.OwnedBy);
    }
}
