namespace InferenceServer.Api.Generation;

/// <summary>One generated token with its log probability and the most likely alternatives at its position.</summary>
/// <param name="Sampled">The generated token.</param>
/// <param name="TextOffset">Where its text starts in the choice's text, in Unicode code points (Python string indices).</param>
/// <param name="Top">The most likely tokens, by log probability descending, ties by token id ascending.</param>
public sealed record OutputLogprob(LogprobEntry Sampled, int TextOffset, IReadOnlyList<LogprobEntry> Top);
