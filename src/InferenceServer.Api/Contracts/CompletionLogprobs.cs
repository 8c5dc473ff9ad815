using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Contracts;

/// <summary>
/// The legacy completions <c>logprobs</c> object: parallel lists over the choice's tokens. <c>top_logprobs</c> maps
/// token text to log probability for the most likely tokens plus the sampled one, so up to <c>logprobs</c> + 1 entries
/// as OpenAI documents (the first, most likely, entry wins where two tokens share a text); <c>text_offset</c> counts
/// Unicode code points from the start of the choice's text.
/// </summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs, IReadOnlyList<IReadOnlyDictionary<string, float>> TopLogprobs,
    IReadOnlyList<int> TextOffset)
{
    /// <summary>The object for <paramref name="tokens"/>; null when the request did not ask for logprobs (<paramref name="tokens"/> null).</summary>
    public static CompletionLogprobs? From(IReadOnlyList<OutputLogprob>? tokens) => tokens is null ? null : new(
        tokens.Select(t => t.Sampled.Token).ToArray(),
        tokens.Select(t => t.Sampled.Logprob).ToArray(),
        tokens.Select(t => (IReadOnlyDictionary<string, float>)Top(t.Top, t.Sampled)).ToArray(),
        tokens.Select(t => t.TextOffset).ToArray());

    private static Dictionary<string, float> Top(IReadOnlyList<LogprobEntry> top, LogprobEntry sampled)
    {
        var map = new Dictionary<string, float>(top.Count + 1);
        foreach (var e in top)
            map.TryAdd(e.Token, e.Logprob);
        map.TryAdd(sampled.Token, sampled.Logprob);
        return map;
    }
}
