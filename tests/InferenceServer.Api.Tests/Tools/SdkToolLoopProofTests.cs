using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof that the official OpenAI .NET SDK completes a tool loop against random-weights models with real templates
/// (skipped without ../shared), the server's own tool-call grammar making the call: a forced call (streamed as
/// <see cref="StreamingChatToolCallUpdate"/>s, or whole for a named tool), the tool's result sent back, and a final
/// text answer. The Llama 3.1 and Mistral templates raise on history they do not accept (more than one call, Mistral ids
/// other than 9 letters or digits, roles out of turn), so the second turn also proves the server renders the SDK's call
/// and result messages in each family's shape; DeepSeek R1's template renders no tools, so there the server's own
/// generic format carries the call and the history.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class SdkToolLoopProofTests(
    Qwen25ServerFixture qwen25, Hermes2ProServerFixture hermes2Pro, Llama31ServerFixture llama31, MistralNemoServerFixture mistralNemo,
    MistralSmallServerFixture mistralSmall, DeepSeekR1ServerFixture deepSeekR1)
    : IClassFixture<Qwen25ServerFixture>, IClassFixture<Hermes2ProServerFixture>, IClassFixture<Llama31ServerFixture>,
      IClassFixture<MistralNemoServerFixture>, IClassFixture<MistralSmallServerFixture>, IClassFixture<DeepSeekR1ServerFixture>
{
    public static TheoryData<string> Families => new("Qwen2.5", "Hermes2Pro", "Llama3.1", "MistralNemo", "MistralSmall", "DeepSeekR1");

    private static readonly ChatTool[] Tools =
    [
        ChatTool.CreateFunctionTool("get_weather", "Weather forecast for a city.", BinaryData.FromString(ProofTools.WeatherSchema)),
        ChatTool.CreateFunctionTool("book_table", "Book a table at a restaurant.", BinaryData.FromString(ProofTools.BookingSchema)),
    ];

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task A_streamed_required_call_its_result_and_a_final_answer(string family)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        var client = Client(fixture);
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris for 3 days?")];

        await SdkToolTurns.StreamedRequiredCallAsync(client, messages, Options(ChatToolChoice.CreateRequiredChoice()));
        await AssertFinalAnswerAsync(client, messages, ChatToolChoice.CreateNoneChoice());
    }

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task A_named_call_its_result_and_a_final_answer(string family)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        var client = Client(fixture);
        List<ChatMessage> messages = [new UserChatMessage("A table for two at Luigi's, please.")];

        await SdkToolTurns.NamedBookingCallAsync(client, messages, Options(ChatToolChoice.CreateFunctionChoice("book_table")));
        await AssertFinalAnswerAsync(client, messages, ChatToolChoice.CreateNoneChoice());
    }

    // A random model writes text until max_tokens, so the final answer ends with "length", not "stop".
    private static async Task AssertFinalAnswerAsync(ChatClient client, List<ChatMessage> messages, ChatToolChoice choice)
    {
        var options = Options(choice);
        options.MaxOutputTokenCount = 24;
        ChatCompletion final = await client.CompleteChatAsync(messages, options);

        Assert.Empty(final.ToolCalls);
        Assert.Contains(final.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        string text = string.Concat(final.Content.Select(part => part.Text));
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.DoesNotContain(ProofTools.Markup, m => text.Contains(m));
    }

    private static ChatCompletionOptions Options(ChatToolChoice choice)
    {
        // One call: with parallel calls a random model keeps adding calls until max_tokens.
        var options = new ChatCompletionOptions { ToolChoice = choice, AllowParallelToolCalls = false, MaxOutputTokenCount = 300, Temperature = 0 };
        foreach (var tool in Tools)
            options.Tools.Add(tool);
        return options;
    }

    private static ChatClient Client(TemplateModelServerFixture fixture) =>
        new(fixture.ModelId, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(fixture.Server!.BaseAddress, "v1"),
            Transport = new HttpClientPipelineTransport(fixture.Server.Http),
        });

    private TemplateModelServerFixture Fixture(string family) => family switch
    {
        "Qwen2.5" => qwen25, "Hermes2Pro" => hermes2Pro, "Llama3.1" => llama31, "MistralNemo" => mistralNemo,
        "MistralSmall" => mistralSmall, "DeepSeekR1" => deepSeekR1,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
