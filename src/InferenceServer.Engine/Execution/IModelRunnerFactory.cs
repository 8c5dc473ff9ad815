using InferenceServer.Engine.Models;

namespace InferenceServer.Engine.Execution;

/// <summary>Loads the model and builds its runner and served model; called once by the engine loop at startup.</summary>
public interface IModelRunnerFactory
{
    /// <summary>Loads the model and creates a runner sized for <paramref name="options"/>, with the model's tokenizer and template.</summary>
    /// <exception cref="Exception">Loading failed (missing file, bad GGUF, out of memory).</exception>
    Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken);
}
