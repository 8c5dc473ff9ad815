using System.Security.Cryptography;
using System.Text;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Mistral's templates raise on any tool-call id that is not exactly 9 letters and digits, so a history written by
/// another server (<c>call_…</c> ids) would be refused. Other ids are replaced by 9 letters and digits derived from
/// them (SHA-256, so the same id always maps to the same replacement), in the assistant's calls and in the tool
/// messages that answer them alike, as vLLM does for these models.
/// </summary>
public static class MistralCallIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary><paramref name="messages"/> with every call id in Mistral's form; the input itself when all already are.</summary>
    public static IReadOnlyList<ChatMessage> Adapt(IReadOnlyList<ChatMessage> messages)
    {
        bool Needs(string? id) => id is not null && !IsMistralId(id);
        if (!messages.Any(m => Needs(m.ToolCallId) || m.ToolCalls?.Any(c => Needs(c.Id)) == true))
            return messages;
        return [.. messages.Select(m => m with
        {
            ToolCallId = m.ToolCallId is { } id ? Map(id) : null,
            ToolCalls = m.ToolCalls?.Select(c => c with { Id = Map(c.Id) }).ToList(),
        })];
    }

    /// <summary>True for exactly 9 ASCII letters and digits.</summary>
    public static bool IsMistralId(string id) => id.Length == 9 && id.All(char.IsAsciiLetterOrDigit);

    private static string Map(string id)
    {
        if (IsMistralId(id))
            return id;
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(id));
        var mapped = new StringBuilder(9);
        for (int i = 0; i < 9; i++)
            mapped.Append(Alphabet[hash[i] % Alphabet.Length]);
        return mapped.ToString();
    }
}
