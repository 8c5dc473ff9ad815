using System.Text.Json.Serialization.Metadata;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Streaming;

/// <summary>
/// The wire shape of one endpoint's responses (chat completions or completions): stream chunks as serialized JSON
/// strings (SSE payloads), the whole response as a <typeparamref name="TResponse"/>. Every chunk names the choice it
/// belongs to by its index.
/// </summary>
/// <typeparam name="TResponse">The whole non-streaming response.</typeparam>
public interface IResponseShape<TResponse>
{
    /// <summary>Response id prefix plus a unique part, e.g. <c>chatcmpl-…</c>.</summary>
    string Id { get; }
    /// <summary>The chunk sent for a choice before any content (chat: the role), or null.</summary>
    string? FirstChunk(int index);
    /// <summary>
    /// The chunks for one event of a choice (usually one): its new text (chat: reasoning, content and tool-call
    /// pieces), the logprobs of the tokens it completes, and on the choice's last event its finish reason.
    /// </summary>
    IEnumerable<string> EventChunks(GenerationEvent e);
    /// <summary>The usage chunk (empty choices).</summary>
    string UsageChunk(Usage usage);
    /// <summary>The whole non-streaming response; <paramref name="choices"/> are in index order.</summary>
    TResponse Full(IReadOnlyList<ChoiceReply> choices, Usage usage);
    /// <summary>The source-generated JSON contract <see cref="Full"/> is written with.</summary>
    JsonTypeInfo<TResponse> ResponseJson { get; }
}
