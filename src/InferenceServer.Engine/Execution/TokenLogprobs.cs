namespace InferenceServer.Engine.Execution;

/// <summary>
/// Log probabilities at one sampled position: the sampled token's and the most likely tokens', from the log-softmax
/// of the model's raw logits (before logit bias, penalties, temperature and filters).
/// </summary>
/// <param name="TokenId">The sampled token.</param>
/// <param name="Logprob">Its natural-log probability; at least <see cref="LogprobRow.Floor"/>.</param>
/// <param name="Top">The most likely tokens, by log probability descending, ties by token id ascending.</param>
public sealed record TokenLogprobs(int TokenId, float Logprob, IReadOnlyList<TokenLogprob> Top);
