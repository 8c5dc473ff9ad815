using HdrHistogram;

namespace InferenceServer.Bench;

/// <summary>A latency distribution in milliseconds, recorded with HdrHistogram at microsecond resolution.</summary>
internal sealed class LatencyStats
{
    private readonly LongHistogram _histogram = new(TimeSpan.FromMinutes(10).Ticks / 10, 3);

    public long Count => _histogram.TotalCount;

    public void RecordMs(double ms) => _histogram.RecordValue(Math.Max(1, (long)(ms * 1000)));

    public double PercentileMs(double p) => Count == 0 ? double.NaN : _histogram.GetValueAtPercentile(p) / 1000.0;

    public double MeanMs => Count == 0 ? double.NaN : _histogram.GetMean() / 1000.0;

    public double MaxMs => Count == 0 ? double.NaN : _histogram.GetMaxValue() / 1000.0;
}
