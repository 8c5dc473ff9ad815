using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferenceServer.Api.Contracts;

/// <summary>Source-generated JSON for every wire type; snake_case names as in the OpenAI API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelObject))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(InferenceServer.Engine.EngineStats))]
[JsonSerializable(typeof(Capabilities))]
[JsonSerializable(typeof(InferenceServer.Engine.KvCache.KvCacheSnapshot))]
[JsonSerializable(typeof(Page.RenderedMarkdown))]
public sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context used on the wire: text is written as UTF-8 characters, not <c>\uXXXX</c> escapes (only JSON's
    /// mandatory escapes), as the OpenAI API does. Responses are JSON or event streams, never HTML.
    /// </summary>
    public static ApiJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
