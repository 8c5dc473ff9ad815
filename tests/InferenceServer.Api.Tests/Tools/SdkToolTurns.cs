using System.Text;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// The first turns of the SDK tool-loop proofs, through the official OpenAI SDK: a forced call checked against its
/// tool's schema, and the call plus its tool result appended to the conversation for the final turn.
/// </summary>
internal static class SdkToolTurns
{
    /// <summary>Streams a required call (one, with an id, no text beside it), then appends it and its result.</summary>
    public static async Task StreamedRequiredCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        var calls = new List<(string? Id, string? Name, StringBuilder Arguments)>();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (StreamingChatToolCallUpdate piece in update.ToolCallUpdates)
            {
                if (piece.Index == calls.Count)
                    calls.Add((piece.ToolCallId, piece.FunctionName, new StringBuilder()));
                calls[piece.Index].Arguments.Append(piece.FunctionArgumentsUpdate?.ToString());
            }
            Assert.DoesNotContain(update.ContentUpdate, part => part.Text.Length > 0);
            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        var (id, name, arguments) = Assert.Single(calls);
        Assert.False(string.IsNullOrEmpty(id));
        ProofTools.AssertValidates(ProofTools.Schemas[name!], arguments.ToString(), name!);

        messages.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(id, name, BinaryData.FromString(arguments.ToString()))]));
        messages.Add(new ToolChatMessage(id, "Sunny, 21 degrees."));
    }

    /// <summary>Asks for a call to <c>book_table</c> by name (whole, no text beside it), then appends it and its result.</summary>
    public static async Task NamedBookingCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        ChatCompletion first = await client.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.DoesNotContain(first.Content, part => part.Text.Length > 0);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("book_table", call.FunctionName);
        ProofTools.AssertValidates(ProofTools.BookingSchema, call.FunctionArguments.ToString(), call.FunctionName);

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "Booked for 19:30."));
    }
}
