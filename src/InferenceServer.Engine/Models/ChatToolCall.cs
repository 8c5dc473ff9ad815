namespace InferenceServer.Engine.Models;

/// <summary>A function call of an earlier assistant turn (OpenAI <c>tool_calls[]</c>).</summary>
/// <param name="Id">The call id (<c>tool_calls[].id</c>), which the answering tool message names.</param>
/// <param name="Name">The function called.</param>
/// <param name="Arguments">The arguments as the JSON text OpenAI sends (<c>function.arguments</c>).</param>
public sealed record ChatToolCall(string Id, string Name, string Arguments);
