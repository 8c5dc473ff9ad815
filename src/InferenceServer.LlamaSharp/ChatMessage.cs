namespace InferenceServer.LlamaSharp;

/// <summary>One chat turn as the template sees it: a role (system, user, assistant, tool) and its text.</summary>
public sealed record ChatMessage(string Role, string Content);
