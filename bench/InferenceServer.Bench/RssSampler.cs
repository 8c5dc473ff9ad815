using System.Diagnostics;

namespace InferenceServer.Bench;

/// <summary>Samples a process's resident set size (<c>VmRSS</c> in <c>/proc/PID/status</c>) at a fixed interval.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(double Seconds, long Kib)> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;

    public RssSampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _loop = RunAsync(interval);
    }

    /// <summary>Seconds since the sampler started and VmRSS in KiB.</summary>
    public IReadOnlyList<(double Seconds, long Kib)> Samples
    {
        get { lock (_samples) return [.. _samples]; }
    }

    /// <summary>Why sampling stopped early (the process is gone, no <c>/proc</c>), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>VmRSS of <paramref name="pid"/> in KiB, or null if the process or <c>/proc</c> is not there.</summary>
    public static long? ReadKib(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:"));
            return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        while (Sample() && await WaitAsync(timer))
        {
        }
    }

    private bool Sample()
    {
        if (ReadKib(_pid) is not { } kib)
        {
            Problem ??= $"/proc/{_pid}/status unreadable after {_clock.Elapsed.TotalSeconds:F0} s (process gone?)";
            return false;
        }
        lock (_samples)
            _samples.Add((_clock.Elapsed.TotalSeconds, kib));
        return true;
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops sampling after one last sample.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _loop;
        if (Problem is null)
            Sample();
        _stop.Dispose();
    }
}
