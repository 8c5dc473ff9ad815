using System.Diagnostics;
using System.Text.Json;
using InferenceServer.Engine;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Bench;

/// <summary>
/// <c>grammar-cost</c>: TPOT of the in-process engine with a <c>json_schema</c> grammar against the same load without
/// one, measured side by side (alternating rounds on one engine) at each concurrency, with the ratio. The schema is a
/// long array of short strings, so constrained outputs run to max_tokens like the unconstrained ones (ignore_eos).
/// </summary>
internal static class GrammarCostBench
{
    private const string Schema = """{"type":"array","items":{"type":"string","maxLength":12},"minItems":256,"maxItems":256}""";

    public static async Task RunAsync(Cli cli)
    {
        string preset = cli.Get("preset", "small");
        int[] concurrencies = cli.GetList("concurrency", [1, 16]);
        int threads = cli.Get("threads", 2), prompt = cli.Get("prompt-tokens", 32), output = cli.Get("output-tokens", 128);
        int rounds = cli.Get("rounds", 2);
        string grammar = JsonSchemaGrammar.FromSchema(JsonDocument.Parse(Schema).RootElement);
        var options = new EngineOptions
        {
            MaxSequences = concurrencies.Max(), Threads = threads, MaxBatchTokens = 256,
            NumBlocks = (concurrencies.Max() * (prompt + output + 32) + 15) / 16 + 16,
        };
        await using var engine = await InProcessEngine.StartAsync(BenchModels.Ensure(preset, cli.Get("weights", "f16")), options);
        int vocab = engine.Host.Tokenizer.VocabSize;
        if (cli.Has("no-walk") && engine.Runner is { } runner)
            runner.WalkGrammars = false;

        Console.WriteLine($"# Grammar cost: {preset} (vocabulary {vocab}), {threads} threads, {prompt} prompt tokens, {output} output tokens, {rounds} rounds");
        Console.WriteLine();
        Console.WriteLine("| concurrency | TPOT p50 without grammar (ms) | TPOT p50 with json_schema (ms) | with / without |");
        Console.WriteLine("|---:|---:|---:|---:|");
        var walks = new List<string>();
        foreach (int c in concurrencies)
        {
            var walksBefore = engine.Runner?.GrammarWalks ?? default;
            var plain = new List<double>();
            var constrained = new List<double>();
            var random = new Random(c);
            for (int round = 0; round < rounds; round++)
            {
                // Alternate so drift in machine load hits both sides alike.
                plain.AddRange(await RoundAsync(engine.Client, c, prompt, output, vocab, random, null));
                constrained.AddRange(await RoundAsync(engine.Client, c, prompt, output, vocab, random, grammar));
            }
            double a = Median(plain), b = Median(constrained);
            Console.WriteLine($"| {c} | {a:F2} | {b:F2} | {b / a:F2} |");
            var w = engine.Runner?.GrammarWalks ?? default;
            walks.Add($"concurrency {c}: {w.Walked - walksBefore.Walked} walked, {w.Masked - walksBefore.Masked} masked after the walk");
        }
        Console.WriteLine();
        Console.WriteLine($"Refused first draws ({(engine.Runner?.WalkGrammars == false ? "walk off" : "walk on")}): {string.Join("; ", walks)}.");
    }

    // One TPOT (ms) per request of a round of c concurrent requests.
    private static async Task<double[]> RoundAsync(EngineClient client, int c, int prompt, int output, int vocab, Random random, string? grammar)
    {
        var sampling = new SamplingParams { Temperature = 1, MaxTokens = output, IgnoreEos = grammar is null, Grammar = grammar };
        var streams = Enumerable.Range(0, c)
            .Select(i => client.Submit(BenchModels.RandomTokens(prompt, vocab, random), sampling with { Seed = (uint)random.Next() })).ToList();
        return await Task.WhenAll(streams.Select(TpotAsync));
    }

    private static async Task<double> TpotAsync(GenerationStream stream)
    {
        await using (stream)
        {
            long first = 0, last = 0;
            int tokens = 0;
            await foreach (var result in stream.ReadAllAsync())
            {
                if (result.TokenId is null)
                    continue;
                last = Stopwatch.GetTimestamp();
                if (tokens++ == 0)
                    first = last;
            }
            return tokens > 1 ? Stopwatch.GetElapsedTime(first, last).TotalMilliseconds / (tokens - 1) : double.NaN;
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
