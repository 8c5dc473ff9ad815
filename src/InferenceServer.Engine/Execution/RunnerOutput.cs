namespace InferenceServer.Engine.Execution;

/// <summary>A token sampled for one sequence in one step.</summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="TokenId">The sampled token.</param>
/// <param name="Logprobs">Its log probabilities, when the sequence's <see cref="Sequences.SamplingParams.Logprobs"/> asked for them.</param>
public readonly record struct SampledToken(long SequenceId, int TokenId, TokenLogprobs? Logprobs = null);

/// <summary>What one step produced: a sampled token per sequence that reached the end of its tokens.</summary>
public sealed record RunnerOutput(IReadOnlyList<SampledToken> Sampled);
