namespace InferenceServer.Api.Generation;

/// <summary>The engine ended a sequence with an error after its stream started.</summary>
public sealed class GenerationFailedException(string message) : Exception(message);
