using System.Diagnostics;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Metrics;
using InferenceServer.Engine;

namespace InferenceServer.Api.Serving;

/// <summary>
/// Book-keeping of one generation request for its log line and its latency metrics; how the choices ended and the
/// token counts come from the request's <see cref="OutputProcessor"/>.
/// </summary>
internal sealed class GenerationRun(string requestId, string endpoint, string model, GenerationRequest request, GenerationStream stream,
    OutputProcessor output, ILogger logger, InferenceMetrics metrics)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly (double Ms, int Tokens)[] _last = new (double, int)[stream.NumChoices];
    private double? _ttftMs;
    private bool _failed;
    private bool _queueObserved;

    public string RequestId { get; } = requestId;
    public GenerationRequest Request { get; } = request;
    public GenerationStream Stream { get; } = stream;
    public OutputProcessor Output { get; } = output;

    public void Observe(GenerationEvent e)
    {
        double now = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        // The first token, not the first event: a request cancelled before any token has no TTFT.
        if (_ttftMs is null && e.NumCompletionTokens > 0)
        {
            _ttftMs = now;
            metrics.TimeToFirstToken.Observe(now / 1000);
        }
        if (!_queueObserved && e.QueueTime is { } queue)
        {
            _queueObserved = true;
            metrics.QueueTime.Observe(queue.TotalSeconds);
        }
        var (lastMs, lastTokens) = _last[e.ChoiceIndex];
        int newTokens = e.NumCompletionTokens - lastTokens;
        if (lastTokens > 0 && newTokens > 0)
            metrics.InterTokenLatency.Observe((now - lastMs) / newTokens / 1000);
        if (newTokens > 0)
            _last[e.ChoiceIndex] = (now, e.NumCompletionTokens);
    }

    public void Failed() => _failed = true;

    public void Complete()
    {
        double durationMs = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        var reasons = Output.WireFinishReasons.Select(f => _failed ? "error" : f ?? "abort").ToList();
        foreach (string reason in reasons)
            metrics.RequestsFinished.WithLabels(reason).Inc();
        if (!_failed && Output.AllCompleted)
            metrics.EndToEndLatency.Observe(durationMs / 1000);
        var usage = Output.Usage;
        RequestLog.Completed(logger, RequestId, endpoint, model, Stream.SequenceId, Request.Stream, Stream.NumPromptTokens,
            usage.CompletionTokens, _ttftMs, durationMs, string.Join(',', reasons.Distinct()));
    }
}
