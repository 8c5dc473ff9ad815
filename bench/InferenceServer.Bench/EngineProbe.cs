namespace InferenceServer.Bench;

/// <summary>
/// <c>engine-decode</c>: the decode-heavy load on the in-process engine at one concurrency, with prefix caching on or
/// off, next to the ceiling: isolates what the engine's settings cost per step.
/// </summary>
internal static class EngineProbe
{
    public static async Task RunAsync(Cli cli)
    {
        string model = BenchModels.Ensure(cli.Get("preset", "small"));
        int c = cli.Get("concurrency", 16), threads = cli.Get("threads", 2), prompt = cli.Get("prompt-tokens", 32), output = cli.Get("output-tokens", 128);
        int rounds = cli.Get("rounds", 2);
        using (var weights = BenchModels.Load(model))
        {
            var ceiling = CeilingRunner.Run(weights.NativeHandle, c, LoadSweep.Prompts(c * rounds, prompt, weights.Vocab.Count, 1), output,
                BenchContexts.Options(threads));
            Console.WriteLine($"| ceiling | {ceiling.OutputTokensPerSecond:F0} tok/s | TPOT p50 {ceiling.Tpot.PercentileMs(50):F1} ms |");
        }
        foreach (bool caching in cli.Has("caching-off-only") ? [false] : new[] { false, true })
        {
            var options = new InferenceServer.Engine.EngineOptions
            {
                MaxSequences = c, Threads = threads, PrefixCaching = caching, MaxBatchTokens = cli.Get("batch-tokens", 256),
                NumBlocks = cli.Get("blocks", (c * (prompt + output + 32) + 15) / 16 + 16),
            };
            var inProcess = await InProcessEngine.StartAsync(model, options);
            await using var engine = new EngineTarget(inProcess);
            var r = await LoadSweep.RunAsync(engine, c, LoadSweep.Prompts(c * rounds, prompt, 8192, 1), output, TimeSpan.FromMinutes(10));
            Console.WriteLine($"| engine, prefix caching {(caching ? "on" : "off")}, {options.NumBlocks} blocks, fresh | {r.OutputTokensPerSecond:F0} tok/s | TPOT p50 {r.Tpot.PercentileMs(50):F1} ms |");
            // The same load again on the now used engine: cells freed and reused all over the cache.
            var again = await LoadSweep.RunAsync(engine, c, LoadSweep.Prompts(c * rounds, prompt, 8192, 2), output, TimeSpan.FromMinutes(10));
            Console.WriteLine($"| engine, prefix caching {(caching ? "on" : "off")}, {options.NumBlocks} blocks, second run | {again.OutputTokensPerSecond:F0} tok/s | TPOT p50 {again.Tpot.PercentileMs(50):F1} ms |");
            if (inProcess.Client.Stats is { NumSteps: > 0 and var steps, StepTimes: { } times })
                Console.WriteLine($"|   step profile: {steps} steps, llama_decode {times.ForwardMs / steps:F2} ms/step, " +
                                  $"sampling {times.SampleMs / steps:F3} ms/step | | |");
        }
    }
}
