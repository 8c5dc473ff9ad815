using System.Diagnostics;
using InferenceServer.Engine;

namespace InferenceServer.Bench;

/// <summary>
/// <c>soak</c>: N clients loop over a seeded random request mix (<see cref="SoakMix"/>) for M minutes, then the server
/// is checked: deterministic requests gave their solo output (sent alone before the load and again after it), nothing
/// failed but the clients' deliberate disconnects, and once idle every KV block is free. Samples the server's memory
/// throughout. Prints a markdown report; exits 1 when a check fails.
/// </summary>
internal static class SoakCommand
{
    /// <summary>How long requests still running at the end may take before they count as hung.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(Cli cli)
    {
        int concurrency = cli.Get("concurrency", 16), seed = cli.Get("seed", 1), poolSize = cli.Get("pool", 16);
        int maxRequests = cli.Get("max-requests", 0);
        double minutes = cli.Get("minutes", 10.0);
        if (concurrency < 1 || minutes <= 0 || poolSize < 0 || maxRequests < 0)
            throw new ArgumentException("--concurrency and --minutes must be positive, --pool and --max-requests not negative");
        string? output = cli.Get("out");
        await using var target = await SoakTarget.StartAsync(cli, concurrency);
        using var http = BenchHttp.CreateClient(target.V1);
        var client = new SoakClient(http);
        var mix = new SoakMix(target.Model, target.VocabSize, seed);
        var pool = mix.Pool(poolSize, seed);
        var references = new SoakReferences(pool.Count);
        var tally = new SoakTally();
        var clock = Stopwatch.StartNew();
        var rss = target.Pid is { } pid ? new RssSampler(pid, TimeSpan.FromSeconds(cli.Get("rss-seconds", 5.0))) : null;
        var marks = new List<(double Seconds, string Phase)>();
        var stats = new List<(string When, EngineStats? Stats)> { ("before", await BenchServer.ReadStatsAsync(http, CancellationToken.None)) };

        Progress($"solo reference pass over {pool.Count} deterministic requests");
        marks.Add((clock.Elapsed.TotalSeconds, "solo reference"));
        await SoloPassAsync(client, pool, references, tally, "solo reference");
        marks.Add((clock.Elapsed.TotalSeconds, "load"));
        Progress($"load: {concurrency} clients for {minutes} min");
        var loadTime = await LoadAsync(client, mix, pool, references, tally, concurrency, TimeSpan.FromMinutes(minutes), maxRequests, seed);
        var (afterLoad, idleAfterLoad) = await WaitIdleAsync(http);
        stats.Add(("after the load, idle", afterLoad));
        marks.Add((clock.Elapsed.TotalSeconds, "solo after"));
        Progress("solo pass after the soak");
        await SoloPassAsync(client, pool, references, tally, "solo after the soak");
        var (final, idle) = await WaitIdleAsync(http);
        stats.Add(("end, idle", final));
        if (rss is not null)
            await rss.DisposeAsync();

        var run = new SoakRun(target.Description, string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), concurrency, minutes, seed,
            pool.Count, references.NumReferences, tally, loadTime, clock.Elapsed, stats, idleAfterLoad && idle,
            rss?.Samples ?? [], rss?.Problem ?? (target.Pid is null ? "no process id (start the server here, or pass --pid)" : null), marks,
            target.Server?.ExitCode, target.Server?.NumLogEvents, target.Server?.FirstLogLines ?? []);
        return SoakReport.Write(run, output);
    }

    // Each request alone, one after another: the first pass records the solo outputs, later passes compare with them.
    private static async Task SoloPassAsync(SoakClient client, IReadOnlyList<SoakRequest> pool, SoakReferences references, SoakTally tally,
        string phase)
    {
        bool first = phase == "solo reference";
        foreach (var request in pool)
        {
            using var timeout = new CancellationTokenSource(Grace);
            var outcome = await client.SendAsync(request, timeout.Token);
            if (outcome.Status != SoakStatus.Completed)
                tally.RecordError(phase, request, outcome);
            else if (first)
                references.Set(request.PoolIndex!.Value, outcome);
            else if (references.Compare(phase, request, outcome) is { } c)
                tally.RecordComparison(c.PrefixOnly, c.Mismatch);
        }
    }

    private static async Task<TimeSpan> LoadAsync(SoakClient client, SoakMix mix, IReadOnlyList<SoakRequest> pool, SoakReferences references,
        SoakTally tally, int concurrency, TimeSpan duration, int maxRequests, int seed)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(duration + Grace);
        using var progress = new PeriodicTimer(TimeSpan.FromSeconds(30));
        int started = 0;
        bool More() => clock.Elapsed < duration && (maxRequests == 0 || Interlocked.Increment(ref started) <= maxRequests);
        var clients = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
            var random = new Random(unchecked(seed * 1_000_003 + c));
            while (More())
            {
                var request = mix.Next(random, pool);
                var outcome = await client.SendAsync(request, deadline.Token);
                tally.Record(request, outcome);
                if (references.Compare("under load", request, outcome) is { } compared)
                    tally.RecordComparison(compared.PrefixOnly, compared.Mismatch);
                // A server that is down refuses at once: pause rather than spin out thousands of errors a second.
                if (outcome.ErrorKind?.StartsWith("transport") == true)
                    await Task.Delay(TimeSpan.FromSeconds(1));
            }
        })).ToList();
        var all = Task.WhenAll(clients);
        while (await Task.WhenAny(all, progress.WaitForNextTickAsync().AsTask()) != all)
            Progress($"{clock.Elapsed.TotalMinutes:F1} min: {tally.NumSent} requests, {tally.NumFailed} errors, {tally.NumMismatches} mismatches");
        await all;
        return clock.Elapsed;
    }

    /// <summary>
    /// Polls engine stats until nothing runs or waits (at most a minute); null stats when the server has none, not
    /// idle when it does not answer (it crashed: the report still gets written).
    /// </summary>
    private static async Task<(EngineStats? Stats, bool Idle)> WaitIdleAsync(HttpClient http)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            EngineStats? stats;
            try
            {
                stats = await BenchServer.ReadStatsAsync(http, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                return (null, false);
            }
            if (stats is null)
                return (null, true);
            bool idle = stats.NumRunning == 0 && stats.NumWaiting == 0;
            if (idle || limit.Elapsed > TimeSpan.FromMinutes(1))
                return (stats, idle);
            await Task.Delay(200);
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine($"soak: {message}");
}
