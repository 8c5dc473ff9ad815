using System.ClientModel;
using System.ClientModel.Primitives;
using InferenceServer.Api.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof that the official OpenAI .NET SDK completes a tool loop against a random-weights model carrying gpt-oss's
/// template and special tokens (skipped without ../shared): a forced call (streamed as
/// <see cref="StreamingChatToolCallUpdate"/>s, or whole for a named tool), its result sent back, and a final text
/// answer. The template names a tool result after the call rendered before it and refuses <c>&lt;|channel|&gt;</c>
/// words in history, so the second turn also proves the server renders the SDK's call and result messages in harmony's
/// shape. A bias on <c>&lt;|end|&gt;</c> keeps any analysis message short (<see cref="HarmonyToolCallProofTests"/>).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HarmonySdkToolLoopProofTests(GptOssServerFixture gptOss) : IClassFixture<GptOssServerFixture>
{
    private static readonly ChatTool[] Tools =
    [
        ChatTool.CreateFunctionTool("get_weather", "Weather forecast for a city.", BinaryData.FromString(ProofTools.WeatherSchema)),
        ChatTool.CreateFunctionTool("book_table", "Book a table at a restaurant.", BinaryData.FromString(ProofTools.BookingSchema)),
    ];

    [SkippableFact]
    public async Task A_streamed_required_call_its_result_and_a_final_answer()
    {
        gptOss.SkipIfAbsent();
        var client = Client();
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris for 3 days?")];

        await SdkToolTurns.StreamedRequiredCallAsync(client, messages, Options(ChatToolChoice.CreateRequiredChoice()));
        await AssertFinalAnswerAsync(client, messages);
    }

    [SkippableFact]
    public async Task A_named_call_its_result_and_a_final_answer()
    {
        gptOss.SkipIfAbsent();
        var client = Client();
        List<ChatMessage> messages = [new UserChatMessage("A table for two at Luigi's, please.")];

        await SdkToolTurns.NamedBookingCallAsync(client, messages, Options(ChatToolChoice.CreateFunctionChoice("book_table")));
        await AssertFinalAnswerAsync(client, messages);
    }

    // A random model writes until max_tokens, so the final answer ends with "length", not "stop".
    private async Task AssertFinalAnswerAsync(ChatClient client, List<ChatMessage> messages)
    {
        var options = Options(ChatToolChoice.CreateNoneChoice());
        options.MaxOutputTokenCount = 24;
        ChatCompletion final = await client.CompleteChatAsync(messages, options);

        Assert.Empty(final.ToolCalls);
        Assert.Contains(final.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        string text = string.Concat(final.Content.Select(part => part.Text));
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.DoesNotContain(ProofTools.Markup, m => text.Contains(m));
    }

    private ChatCompletionOptions Options(ChatToolChoice choice)
    {
        var options = new ChatCompletionOptions { ToolChoice = choice, AllowParallelToolCalls = false, MaxOutputTokenCount = 300, Temperature = 0 };
        options.LogitBiases.Add(gptOss.TokenId("<|end|>"), HarmonyToolCallProofTests.EndBias);
        foreach (var tool in Tools)
            options.Tools.Add(tool);
        return options;
    }

    private ChatClient Client() =>
        new(gptOss.ModelId, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(gptOss.Server!.BaseAddress, "v1"),
            Transport = new HttpClientPipelineTransport(gptOss.Server.Http),
        });
}
