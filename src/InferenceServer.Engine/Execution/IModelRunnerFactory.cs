namespace InferenceServer.Engine.Execution;

/// <summary>Loads the model and builds its runner; called once by the engine loop at startup.</summary>
public interface IModelRunnerFactory
{
    /// <summary>Loads the model and creates a runner sized for <paramref name="options"/>.</summary>
    /// <exception cref="Exception">Loading failed (missing file, bad GGUF, out of memory).</exception>
    Task<IModelRunner> CreateAsync(EngineOptions options, CancellationToken cancellationToken);
}
