using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Contracts;

/// <summary>A chat choice's <c>logprobs</c> object (OpenAI: <c>content</c> and <c>refusal</c>, both required).</summary>
/// <param name="Content">The content tokens, in order.</param>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content)
{
    /// <summary>Refusals are not produced; always null.</summary>
    public IReadOnlyList<ChatTokenLogprob>? Refusal => null;

    /// <summary>The object for <paramref name="tokens"/>; null when the request did not ask for logprobs (<paramref name="tokens"/> null).</summary>
    public static ChatLogprobs? From(IReadOnlyList<OutputLogprob>? tokens) =>
        tokens is null ? null : new(tokens.Select(t => new ChatTokenLogprob(t.Sampled.Token, t.Sampled.Logprob, Ints(t.Sampled.Bytes),
            t.Top.Select(e => new ChatTopLogprob(e.Token, e.Logprob, Ints(e.Bytes))).ToArray())).ToArray());

    // OpenAI lists bytes as integers; a byte[] would serialize as base64.
    private static int[] Ints(byte[] bytes) => Array.ConvertAll(bytes, b => (int)b);
}
