using System.Diagnostics;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;

namespace InferenceServer.Api.Endpoints;

/// <summary>Book-keeping of one generation request for its log line: timings and token counts.</summary>
internal sealed class GenerationRun(string requestId, string endpoint, string model, GenerationStream stream, bool isStreaming, ILogger logger)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private double? _ttftMs;
    private int _completionTokens;
    private string _finishReason = "abort";

    public string RequestId { get; } = requestId;
    public GenerationStream Stream { get; } = stream;

    public void Observe(GenerationEvent e)
    {
        _ttftMs ??= Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        _completionTokens = e.NumCompletionTokens;
        if (e.FinishReason is { } f)
            _finishReason = f.ToString().ToLowerInvariant();
    }

    public void Failed() => _finishReason = "error";

    public void Complete() =>
        RequestLog.Completed(logger, RequestId, endpoint, model, Stream.SequenceId, isStreaming, Stream.NumPromptTokens,
            _completionTokens, _ttftMs, Stopwatch.GetElapsedTime(_start).TotalMilliseconds, _finishReason);
}
