using System.Text.Json;

namespace InferenceServer.Engine.Tools;

/// <summary>A function the caller offers the model (OpenAI <c>tools[].function</c>).</summary>
/// <param name="Name">Function name (letters, digits, <c>_</c> and <c>-</c>, at most 64 characters, as OpenAI allows).</param>
/// <param name="Description">What the function does, for the model; may be null.</param>
/// <param name="Parameters">JSON Schema of the arguments object; null means no parameters (the arguments are <c>{}</c>, as OpenAI defines an omitted <c>parameters</c>).</param>
/// <param name="Strict">OpenAI <c>strict</c>: the arguments must validate exactly (additional properties refused unless allowed).</param>
public sealed record ToolDefinition(string Name, string? Description, JsonElement? Parameters, bool Strict = false);
