namespace InferenceServer.Api.Contracts;

/// <summary>OpenAI <c>ChatCompletionTokenLogprob</c>: a content token, its log probability, UTF-8 bytes and top alternatives.</summary>
public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);
