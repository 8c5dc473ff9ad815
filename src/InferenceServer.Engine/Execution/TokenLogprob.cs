namespace InferenceServer.Engine.Execution;

/// <summary>A token and its natural-log probability under the model's raw distribution at one position.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
