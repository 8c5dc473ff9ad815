using InferenceServer.Engine;

namespace InferenceServer.Bench;

/// <summary>Everything a soak measured, for its report, and the checks it must pass.</summary>
internal sealed record SoakRun(
    string Target, string Command, int Concurrency, double Minutes, int Seed, int PoolSize, int NumReferences, SoakTally Tally,
    TimeSpan LoadTime, TimeSpan TotalTime, IReadOnlyList<(string When, EngineStats? Stats)> Stats, bool Idle,
    IReadOnlyList<(double Seconds, long Kib)> Rss, string? RssNote, IReadOnlyList<(double Seconds, string Phase)> Marks,
    int? ServerExitCode, int? NumServerLogEvents, IReadOnlyList<string> ServerLog)
{
    /// <summary>The last engine stats, taken with the server idle after the soak.</summary>
    public EngineStats? Final => Stats[^1].Stats;

    /// <summary>Why the soak failed; empty when every check passed.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (Tally.NumMismatches > 0)
                failures.Add($"deterministic outputs that differ from their solo output: {Tally.NumMismatches}");
            if (Tally.NumFailed > 0)
                failures.Add($"failed requests: {Tally.NumFailed}");
            if (!Idle)
                failures.Add("the server was not idle a minute after the last request (sequences running or waiting, or no answer)");
            else if (Final is { } f && f.NumFreeBlocks != f.NumBlocks)
                failures.Add($"KV blocks still held with the server idle (leaked): {f.NumBlocks - f.NumFreeBlocks}");
            if (ServerExitCode is { } code)
                failures.Add($"the server process exited (code {code})");
            if (Tally.NumCompleted == 0)
                failures.Add("no request completed");
            if (PoolSize > 0 && NumReferences == 0)
                failures.Add("no solo reference: nothing deterministic was compared");
            return failures;
        }
    }
}
