namespace InferenceServer.Api.Endpoints;

/// <summary>The one structured log line written per generation request (never the prompt or output text).</summary>
internal static partial class RequestLog
{
    [LoggerMessage(3000, LogLevel.Information,
        "Request {RequestId} {Endpoint} model={Model} sequence={SequenceId} stream={Stream} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} ttft_ms={TtftMs} duration_ms={DurationMs} finish_reason={FinishReason}")]
    public static partial void Completed(ILogger logger, string requestId, string endpoint, string model, long sequenceId, bool stream,
        int promptTokens, int completionTokens, double? ttftMs, double durationMs, string finishReason);

    [LoggerMessage(3001, LogLevel.Information, "Request {RequestId} {Endpoint} refused: {StatusCode} {ErrorCode}")]
    public static partial void Refused(ILogger logger, string requestId, string endpoint, int statusCode, string? errorCode);
}
