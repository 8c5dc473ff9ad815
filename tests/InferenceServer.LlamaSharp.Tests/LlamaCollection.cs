namespace InferenceServer.LlamaSharp.Tests;

/// <summary>
/// Test classes that load llama.cpp models join this collection so they never run in parallel with each
/// other (the machine is small and native model loads are memory and CPU heavy).
/// </summary>
[CollectionDefinition("llama", DisableParallelization = true)]
public sealed class LlamaCollection
{
}
