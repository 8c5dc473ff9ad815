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
public sealed partial class ApiJsonContext : JsonSerializerContext;
