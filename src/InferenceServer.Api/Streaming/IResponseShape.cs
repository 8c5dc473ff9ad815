using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Streaming;

/// <summary>
/// The wire shape of one endpoint's responses (chat completions or completions), as serialized JSON strings.
/// </summary>
public interface IResponseShape
{
    /// <summary>Response id prefix plus a unique part, e.g. <c>chatcmpl-…</c>.</summary>
    string Id { get; }
    /// <summary>The chunk sent before any content (chat: the role), or null.</summary>
    string? FirstChunk();
    /// <summary>A chunk with new text.</summary>
    string ContentChunk(string text);
    /// <summary>The chunk that carries the finish reason (and any last text).</summary>
    string FinishChunk(string text, string finishReason);
    /// <summary>The usage chunk (empty choices).</summary>
    string UsageChunk(Usage usage);
    /// <summary>The whole non-streaming response.</summary>
    string Full(string text, string finishReason, Usage usage);
}
