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
    /// <summary>
    /// The chunk for one event of a choice: its new text (chat: reasoning, content and tool-call pieces), the logprobs
    /// of the tokens it completes, and on the choice's last event its finish reason.
    /// </summary>
    string EventChunk(GenerationEvent e);
    /// <summary>The usage chunk (empty choices).</summary>
    string UsageChunk(Usage usage);
    /// <summary>The whole non-streaming response; <paramref name="choices"/> are in index order.</summary>
    string Full(IReadOnlyList<ChoiceReply> choices, Usage usage);
}
