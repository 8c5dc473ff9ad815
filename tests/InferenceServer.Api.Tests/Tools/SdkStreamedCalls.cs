using System.Text;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>A streamed completion read through the OpenAI SDK as tool calls: each call's id, name and arguments assembled by index.</summary>
internal static class SdkStreamedCalls
{
    /// <summary>Streams the completion, asserting no text arrives beside the calls; returns the calls and the finish reason.</summary>
    public static async Task<(List<(string? Id, string? Name, StringBuilder Arguments)> Calls, ChatFinishReason? Finish)> ReadAsync(
        ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
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
        return (calls, finish);
    }
}
