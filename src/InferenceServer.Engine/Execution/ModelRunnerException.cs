namespace InferenceServer.Engine.Execution;

/// <summary>The model runner could not compute a step (for example llama_decode returned an error).</summary>
public sealed class ModelRunnerException(string message, Exception? inner = null) : Exception(message, inner);
