namespace InferenceServer.Api.Output;

/// <summary>
/// A piece of one tool call in a reply, as OpenAI streams it: the first piece of a call carries its
/// <see cref="Id"/> and <see cref="Name"/> with empty <see cref="Arguments"/>; later pieces carry argument text only.
/// </summary>
/// <param name="Index">The call's position among the reply's calls (0, 1, …).</param>
/// <param name="Id">The call id, in the first piece only.</param>
/// <param name="Name">The function name, in the first piece only.</param>
/// <param name="Arguments">The next part of the arguments' JSON text.</param>
public sealed record ToolCallDelta(int Index, string? Id, string? Name, string Arguments);
