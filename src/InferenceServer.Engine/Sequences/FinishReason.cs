namespace InferenceServer.Engine.Sequences;

/// <summary>Why a sequence ended; maps to the OpenAI <c>finish_reason</c> field.</summary>
public enum FinishReason
{
    /// <summary>End-of-generation token (<c>"stop"</c>; a matched stop string is reported as <c>stop</c> by the HTTP layer).</summary>
    Stop,
    /// <summary>max_tokens or the context limit (<c>"length"</c>).</summary>
    Length,
    /// <summary>Cancelled (client disconnect or shutdown); never sent to a client that is gone.</summary>
    Abort,
    /// <summary>The model runner failed.</summary>
    Error,
}

/// <summary>The one table from finished statuses to finish reasons.</summary>
public static class FinishReasons
{
    /// <summary>Finish reason of a finished status, or null while the sequence is not finished.</summary>
    public static FinishReason? FromStatus(SequenceStatus status) => status switch
    {
        SequenceStatus.FinishedStopped => FinishReason.Stop,
        SequenceStatus.FinishedLength => FinishReason.Length,
        SequenceStatus.FinishedAborted => FinishReason.Abort,
        SequenceStatus.FinishedError => FinishReason.Error,
        _ => null,
    };

    /// <summary>OpenAI wire name: <c>stop</c>, <c>length</c>, <c>abort</c> or <c>error</c>.</summary>
    public static string ToWireName(this FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Abort => "abort",
        _ => "error",
    };
}
