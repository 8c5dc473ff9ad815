namespace InferenceServer.Bench;

/// <summary><c>load</c>: the load generator alone, against any OpenAI-compatible base URL (this server or a peer).</summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(Cli cli)
    {
        var url = BenchHttp.LoopbackBaseUrl(cli.Get("url", "http://127.0.0.1:8000/v1"));
        string model = cli.Get("model") ?? throw new ArgumentException("--model is required");
        int prompt = cli.Get("prompt-tokens", 32), output = cli.Get("output-tokens", 128), vocab = cli.Get("vocab", 8192);
        await using var target = new OpenAiHttpTarget(url.ToString(), url, model);
        Console.WriteLine("| concurrency | requests | output tok/s | TTFT p50 ms | TTFT p99 ms | TPOT p50 ms | TPOT p99 ms | e2e p50 ms | e2e p99 ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int c in cli.GetList("concurrency", [1, 2, 4, 8, 16, 32]))
        {
            var r = await LoadSweep.RunAsync(target, c, LoadSweep.Prompts(Math.Max(4, 2 * c), prompt, vocab, c), output, TimeSpan.FromMinutes(10));
            Console.WriteLine($"| {c} | {r.Requests.Count} | {r.OutputTokensPerSecond:F0} | {r.Ttft.PercentileMs(50):F1} | {r.Ttft.PercentileMs(99):F1} | " +
                              $"{r.Tpot.PercentileMs(50):F1} | {r.Tpot.PercentileMs(99):F1} | {r.E2e.PercentileMs(50):F1} | {r.E2e.PercentileMs(99):F1} |");
        }
        return 0;
    }
}
