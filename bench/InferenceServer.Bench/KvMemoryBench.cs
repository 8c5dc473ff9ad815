using System.Diagnostics;
using InferenceServer.Engine;
using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>
/// Resident memory of the KV cache for f16, q8_0 and q4_0 at the same context: each type in a fresh child process
/// that loads the model, fills every KV cell with a prefill, and reports its resident set before and after.
/// </summary>
internal static class KvMemoryBench
{
    public static async Task RunAsync(Cli cli)
    {
        string preset = cli.Get("preset", "small");
        int tokens = cli.Get("tokens", 4096);
        string model = BenchModels.Ensure(preset);
        Console.WriteLine($"# KV cache memory: {preset}, {tokens} tokens of context, each type in its own process");
        Console.WriteLine();
        Console.WriteLine("Resident memory added by creating the context (KV buffers are cleared, so touched, at creation) and " +
                          "after a prefill fills every cell (attention's compute buffers are then touched too).");
        Console.WriteLine();
        Console.WriteLine("| KV type | flash attention | bytes/token (formula) | KV MiB (formula) | resident MiB at creation | creation / f16 | resident MiB after filling |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        double? f16 = null;
        foreach (var (type, flash) in new[] { (KvCacheType.F16, true), (KvCacheType.Q8_0, true), (KvCacheType.Q4_0, true), (KvCacheType.F16, false) })
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!, [typeof(KvMemoryBench).Assembly.Location, "kv-memory-child",
                "--model", model, "--tokens", tokens.ToString(), "--type", type.ToString(), "--flash", flash.ToString()])
            { RedirectStandardOutput = true };
            using var child = Process.Start(psi)!;
            string output = await child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync();
            var fields = output.Trim().Split('\n')[^1].Split(' ');
            double bytesPerToken = double.Parse(fields[0]), createdMiB = double.Parse(fields[1]), filledMiB = double.Parse(fields[2]);
            f16 ??= createdMiB;
            Console.WriteLine($"| {type.ToString().ToLowerInvariant()} | {(flash ? "on" : "off (server default for f16)")} | {bytesPerToken:F0} | " +
                              $"{bytesPerToken * tokens / 1048576:F1} | {createdMiB:F1} | {createdMiB / f16:F2} | {filledMiB:F1} |");
        }
    }

    /// <summary>Child side: prints "bytesPerToken residentMiBAfterCreation residentMiBAfterFilling".</summary>
    public static void RunChild(Cli cli)
    {
        var type = Enum.Parse<KvCacheType>(cli.Get("type", "F16"), ignoreCase: true);
        int tokens = cli.Get("tokens", 4096);
        using var weights = BenchModels.Load(cli.Get("model")!);
        var model = weights.NativeHandle;
        long before = Resident();
        using var context = BenchContexts.Create(model, tokens, 1, BenchContexts.Options(2, flashAttention: bool.Parse(cli.Get("flash", "true")), kvCacheType: type));
        long created = Resident();
        var batch = new LLamaBatch();
        var random = new Random(1);
        for (int start = 0; start < tokens; start += 512)
        {
            batch.Clear();
            for (int i = start; i < Math.Min(tokens, start + 512); i++)
                batch.Add((LLamaToken)random.Next(300, weights.Vocab.Count), (LLamaPos)i, (LLamaSeqId)0, false);
            if (context.Decode(batch) != DecodeResult.Ok)
                throw new InvalidOperationException("decode failed");
        }
        int headSize = model.EmbeddingSize / model.HeadCount;
        var shape = new InferenceServer.Engine.Execution.KvCacheShape(model.LayerCount, model.HeadCount, model.KVHeadCount, headSize, type, tokens);
        Console.WriteLine($"{shape.BytesPerToken} {(created - before) / 1048576.0:F1} {(Resident() - before) / 1048576.0:F1}");
    }

    private static long Resident()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}
