using System.Diagnostics;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;

namespace InferenceServer.Api.Endpoints;

/// <summary>Book-keeping of one generation request for its log line: timings and token counts.</summary>
internal sealed class GenerationRun(string requestId, string endpoint, string model, GenerationStream stream, bool isStreaming, ILogger logger)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly UsageTally _usage = new(stream.NumChoices);
    private double? _ttftMs;
    private bool _failed;

    public string RequestId { get; } = requestId;
    public GenerationStream Stream { get; } = stream;

    public void Observe(GenerationEvent e)
    {
        _ttftMs ??= Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        _usage.Observe(e);
    }

    public void Failed() => _failed = true;

    public void Complete()
    {
        string finish = _failed ? "error"
            : string.Join(',', _usage.FinishReasons.Select(f => f?.ToString().ToLowerInvariant() ?? "abort").Distinct());
        var usage = _usage.ToUsage();
        RequestLog.Completed(logger, RequestId, endpoint, model, Stream.SequenceId, isStreaming, Stream.NumPromptTokens,
            usage.CompletionTokens, _ttftMs, Stopwatch.GetElapsedTime(_start).TotalMilliseconds, finish);
    }
}
