using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>A piece of generated text; the last event of a generation carries the finish reason.</summary>
/// <param name="Text">New text (valid UTF-8, possibly empty).</param>
/// <param name="FinishReason">Set on the last event.</param>
/// <param name="NumPromptTokens">Prompt tokens.</param>
/// <param name="NumCompletionTokens">Tokens generated so far.</param>
/// <param name="NumCachedTokens">Prompt tokens served from the prefix cache.</param>
public sealed record GenerationEvent(string Text, FinishReason? FinishReason, int NumPromptTokens, int NumCompletionTokens, int NumCachedTokens = 0);
