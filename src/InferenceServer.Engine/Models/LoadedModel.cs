using InferenceServer.Engine.Execution;

namespace InferenceServer.Engine.Models;

/// <summary>What <see cref="IModelRunnerFactory"/> returns: the runner (engine thread only) and the served model.</summary>
/// <param name="Runner">Runs steps; owned by the engine loop.</param>
/// <param name="Served">Tokenizer, chat template and grammar check, for any thread.</param>
public sealed record LoadedModel(IModelRunner Runner, ServedModel Served);
