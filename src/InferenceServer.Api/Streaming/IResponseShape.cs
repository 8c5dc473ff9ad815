using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Streaming;

/// <summary>
/// The wire shape of one endpoint's responses (chat completions or completions), as serialized JSON strings.
/// Every chunk names the choice it belongs to by its index.
/// </summary>
public interface IResponseShape
{
    /// <summary>Response id prefix plus a unique part, e.g. <c>chatcmpl-…</c>.</summary>
    string Id { get; }
    /// <summary>The chunk sent for a choice before any content (chat: the role), or null.</summary>
    string? FirstChunk(int index);
    /// <summary>A chunk with new text for choice <paramref name="index"/> and the logprobs of the tokens it completes (null: not asked).</summary>
    string ContentChunk(int index, string text, IReadOnlyList<OutputLogprob>? logprobs);
    /// <summary>The chunk that carries a choice's finish reason (and any last text and its tokens' logprobs).</summary>
    string FinishChunk(int index, string text, string finishReason, IReadOnlyList<OutputLogprob>? logprobs);
    /// <summary>The usage chunk (empty choices).</summary>
    string UsageChunk(Usage usage);
    /// <summary>The whole non-streaming response; <paramref name="choices"/> are in index order, Logprobs null when not asked.</summary>
    string Full(IReadOnlyList<(string Text, string FinishReason, IReadOnlyList<OutputLogprob>? Logprobs)> choices, Usage usage);
}
