using System.Diagnostics;
using System.Globalization;

namespace InferenceServer.Bench;

/// <summary>Closed-loop load: at each concurrency level, that many workers send the level's requests back to back.</summary>
internal static class LoadSweep
{
    /// <summary>
    /// Runs <paramref name="prompts"/> through <paramref name="target"/> with <paramref name="concurrency"/> workers. A
    /// level still running after <paramref name="limit"/>, or whose target fails a request, is cancelled and returned
    /// as unfinished (<see cref="LevelResult.Unfinished"/>) with the requests that did finish, so the run goes on. With
    /// <paramref name="writeTimings"/> the requests go to <see cref="TimingsDirectory"/> when one is set.
    /// </summary>
    public static async Task<LevelResult> RunAsync(ILoadTarget target, int concurrency, IReadOnlyList<int[]> prompts, int outputTokens,
        TimeSpan limit, bool writeTimings = true)
    {
        long? stepsBefore = await target.ReadNumStepsAsync();
        using var cts = new CancellationTokenSource(limit);
        var timings = new RequestTiming?[prompts.Count];
        string? failure = null;
        int next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while (!cts.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < prompts.Count)
            {
                try
                {
                    timings[i] = await target.RunAsync(prompts[i], outputTokens, cts.Token);
                }
                catch (Exception ex) when (cts.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException or IOException)
                {
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    // One line, no pipes: the message goes into a markdown table cell.
                    Interlocked.CompareExchange(ref failure, ex.Message.ReplaceLineEndings(" ").Replace('|', '/'), null);
                    await cts.CancelAsync();
                }
            }
        });
        await Task.WhenAll(workers);
        double seconds = wall.Elapsed.TotalSeconds;
        long? steps = await target.ReadNumStepsAsync() - stepsBefore;
        var done = timings.OfType<RequestTiming>().ToList();
        if (writeTimings && TimingsDirectory is not null)
            WriteTimings(target.Name, concurrency, prompts[0].Length, done);
        string? why = done.Count == prompts.Count ? null
            : failure is not null ? $"failed: {failure}" : $"not finished after {Duration(limit)}";
        return new LevelResult(target.Name, concurrency, done, seconds)
        {
            NumSteps = steps,
            Unfinished = why is null ? null : $"{why} ({done.Count} of {prompts.Count} requests done{(steps is { } s ? $", {s} steps" : "")})",
        };
    }

    /// <summary>
    /// Where each level writes its requests' timings (<c>--timings DIR</c>), one CSV per level and target (warm-ups aside), numbered in run order; null: none.
    /// </summary>
    public static string? TimingsDirectory { get; set; }

    private static int _numTimingFiles;

    // One line per request, by send time: sent (ms from the level's first send), TTFT ms, e2e ms, output tokens.
    private static void WriteTimings(string target, int concurrency, int promptTokens, IReadOnlyList<RequestTiming> done)
    {
        Directory.CreateDirectory(TimingsDirectory!);
        long t0 = done.Count > 0 ? done.Min(r => r.StartTimestamp) : 0;
        string name = $"{Interlocked.Increment(ref _numTimingFiles):D3}-{new string([.. target.Where(char.IsLetterOrDigit)])}-p{promptTokens}-c{concurrency}.csv";
        File.WriteAllLines(Path.Combine(TimingsDirectory!, name), done.OrderBy(r => r.StartTimestamp).Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{(r.StartTimestamp - t0) * 1000.0 / Stopwatch.Frequency:0.0},{r.TtftMs:0.0},{r.E2eMs:0.0},{r.OutputTokens}")).Prepend("sent_ms,ttft_ms,e2e_ms,output_tokens"));
    }

    /// <summary>"10 min", or "30 s" under a minute.</summary>
    public static string Duration(TimeSpan t) => t < TimeSpan.FromMinutes(1)
        ? $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s" : $"{t.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)} min";

    /// <summary>Two short requests before a target's first level, so the level measures steady state, not JIT compilation.</summary>
    public static Task WarmUpAsync(ILoadTarget target, int vocabSize) =>
        RunAsync(target, 1, Prompts(2, 16, vocabSize, 7), 16, TimeSpan.FromMinutes(5), writeTimings: false);

    /// <summary>Random prompts of <paramref name="length"/> tokens, optionally after a shared prefix.</summary>
    public static List<int[]> Prompts(int count, int length, int vocabSize, int seed, int[]? sharedPrefix = null)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => (sharedPrefix ?? []).Concat(BenchModels.RandomTokens(length, vocabSize, random)).ToArray())
            .ToList();
    }
}
