namespace InferenceServer.Engine.Execution;

/// <summary>A token sampled for one sequence in one step.</summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="TokenId">The sampled token.</param>
/// <param name="Logprobs">Its log probabilities, when the sequence's <see cref="Sequences.SamplingParams.Logprobs"/> asked for them.</param>
public readonly record struct SampledToken(long SequenceId, int TokenId, TokenLogprobs? Logprobs = null);

/// <summary>What one step produced: a sampled token per sequence that reached the end of its tokens.</summary>
/// <param name="Sampled">The sampled tokens.</param>
/// <param name="ForwardTime">Of the step's execution, time in the model's forward passes (llama_decode).</param>
/// <param name="SampleTime">Of the step's execution, time drawing tokens from the logits.</param>
public sealed record RunnerOutput(IReadOnlyList<SampledToken> Sampled, TimeSpan ForwardTime = default, TimeSpan SampleTime = default);
