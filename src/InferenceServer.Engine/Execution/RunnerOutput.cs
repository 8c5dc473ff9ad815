namespace InferenceServer.Engine.Execution;

/// <summary>A token sampled for one sequence in one step.</summary>
public readonly record struct SampledToken(long SequenceId, int TokenId);

/// <summary>What one step produced: a sampled token per sequence that reached the end of its tokens.</summary>
public sealed record RunnerOutput(IReadOnlyList<SampledToken> Sampled);
