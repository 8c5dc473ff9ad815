namespace InferenceServer.Api.Contracts;

/// <summary>One entry of <c>top_logprobs</c> in <see cref="ChatTokenLogprob"/>.</summary>
public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);
