namespace InferenceServer.Engine;

/// <summary>Why the engine refused a request before it started.</summary>
public enum RejectionReason
{
    /// <summary>The model is not loaded (HTTP 503).</summary>
    NotReady,
    /// <summary>The waiting queue is full (HTTP 429).</summary>
    QueueFull,
    /// <summary>Prompt plus max_tokens exceed what one sequence may hold (HTTP 400, <c>context_length_exceeded</c>).</summary>
    ContextLengthExceeded,
    /// <summary>The engine is shutting down (HTTP 503).</summary>
    ShuttingDown,
}

/// <summary>Thrown by <see cref="EngineClient.Submit"/> when a request cannot be queued.</summary>
public sealed class EngineRejectedException(RejectionReason reason, string message) : Exception(message)
{
    /// <summary>The reason, which the HTTP layer maps to a status code.</summary>
    public RejectionReason Reason { get; } = reason;
}
