namespace InferenceServer.Bench;

/// <summary>
/// <c>logprobs-cost</c>: what log probabilities cost per token. One published server, the decode-heavy load
/// (streaming <c>/v1/completions</c>, <c>ignore_eos</c>) with <c>logprobs: 5</c> and without, alternating level by
/// level on the same prompts so machine drift treats both alike; prints TPOT p50 of each and with / without.
/// </summary>
internal static class LogprobsCostBench
{
    private const int NumTop = 5;

    public static async Task RunAsync(Cli cli)
    {
        int threads = cli.Get("threads", Math.Max(1, Environment.ProcessorCount - 1));
        int promptTokens = cli.Get("prompt-tokens", 32), outputTokens = cli.Get("output-tokens", 128), rounds = cli.Get("rounds", 2);
        string model = BenchModels.Ensure(cli.Get("preset", "small"), cli.Get("weights", "f16"));
        int vocab;
        using (var weights = BenchModels.Load(model))
            vocab = weights.Vocab.Count;
        var limit = TimeSpan.FromMinutes(cli.Get("level-minutes", 10.0));
        string id = Path.GetFileNameWithoutExtension(model);
        await using var server = await BenchServer.StartAsync(BenchServer.Publish(), model, ["--Engine:Threads", $"{threads}", .. BenchServer.ExtraArgs(cli)]);
        await using var without = new OpenAiHttpTarget("without logprobs", server.V1, id);
        await using var with = new OpenAiHttpTarget($"logprobs {NumTop}", server.V1, id, NumTop);
        await LoadSweep.WarmUpAsync(without, vocab);
        await LoadSweep.WarmUpAsync(with, vocab);

        Console.WriteLine($"# Logprobs cost: `{id}`, {promptTokens} prompt / {outputTokens} output tokens, {threads} threads, {MarkdownReport.Machine()}");
        Console.WriteLine();
        Console.WriteLine($"| concurrency | round | TPOT p50 without (ms) | TPOT p50 with logprobs {NumTop} (ms) | with / without |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (int c in cli.GetList("concurrency", [1, 16]))
            for (int round = 0; round < rounds; round++)
            {
                var prompts = LoadSweep.Prompts(2 * c, promptTokens, vocab, seed: 100 * c + round);
                // Alternate which goes first, so neither always meets a warmer or cooler machine.
                var first = round % 2 == 0 ? without : with;
                var second = ReferenceEquals(first, without) ? with : without;
                var a = await LoadSweep.RunAsync(first, c, prompts, outputTokens, limit);
                var b = await LoadSweep.RunAsync(second, c, prompts, outputTokens, limit);
                var (plain, lp) = ReferenceEquals(first, without) ? (a, b) : (b, a);
                double p = plain.Tpot.PercentileMs(50), q = lp.Tpot.PercentileMs(50);
                Console.WriteLine($"| {c} | {round + 1} | {plain.Unfinished ?? $"{p:F2}"} | {lp.Unfinished ?? $"{q:F2}"} | {q / p:F2}× |");
            }
    }
}
