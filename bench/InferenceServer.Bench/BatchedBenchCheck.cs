using System.Diagnostics;
using System.Globalization;
using System.Text;
using InferenceServer.Testing;
using LLama;
using static InferenceServer.Bench.ReportTables;

namespace InferenceServer.Bench;

/// <summary>
/// The raw batched loop two ways on one GGUF: the bench's ceiling loop through LLamaSharp's bundled llama.cpp
/// (<see cref="CeilingRunner"/>) and llama.cpp's own <c>llama-batched-bench</c> at the same threads and batch shape —
/// batches of 512, unified KV, flash attention off, every prompt prefilled at once, then one token per sequence per step.
/// Prints prompt-processing and generation tokens/s side by side.
/// </summary>
internal static class BatchedBenchCheck
{
    private const int MaxRuns = 3;

    private sealed record Speeds(double PromptTokensPerSecond, double GenerationTokensPerSecond);

    /// <summary>
    /// Runs both at each number of <paramref name="sequences"/>, with unified KV (llama-batched-bench's <c>-kvu</c>) or a
    /// stream per sequence, flash attention on or off on both sides; returns the markdown section.
    /// </summary>
    public static async Task<string> RunAsync(string binary, string model, LLamaWeights weights, int threads,
        int promptTokens, int outputTokens, int[] sequences, TimeSpan limit, bool unified = true, bool flashAttention = false)
    {
        var ours = sequences.ToDictionary(c => c, c => Ceiling(weights, c, promptTokens, outputTokens, threads, unified, flashAttention));
        int cellsPerSequence = promptTokens + outputTokens + 16;
        if (!unified)
            cellsPerSequence = (cellsPerSequence + 255) / 256 * 256;
        // The ceiling decodes outputTokens - 1 steps after the prefill (the prefill gives the first token): as many here.
        string[] args =
        [
            "-m", model, "-t", $"{threads}", "-tb", $"{threads}", "-c", $"{sequences.Max() * cellsPerSequence}",
            "-b", "512", "-ub", "512", "-npp", $"{promptTokens}", "-ntg", $"{outputTokens - 1}", "-npl", string.Join(',', sequences),
            .. unified ? (string[])["-kvu"] : [], "-fa", flashAttention ? "on" : "off", "-ngl", "0",
        ];
        // llama.cpp's logger thread is never joined at exit (llama.cpp issue 22142), so the table's last rows are now
        // and then lost: run again for the missing ones.
        var theirs = new Dictionary<int, Speeds>();
        string output = "", runs = "";
        string? problem = null;
        for (int attempt = 1; attempt <= MaxRuns && problem is null && theirs.Count < sequences.Length; attempt++)
        {
            (output, problem) = await RunAsync(binary, args, limit);
            foreach (var (c, speeds) in Parse(output))
                theirs.TryAdd(c, speeds);
            runs = attempt == 1 ? "" : $" ({attempt} runs: the rows a run's output lost at exit come from the next)";
        }
        var md = new StringBuilder();

        md.AppendLine($"### Raw batched loop: {promptTokens}-token prompts, {outputTokens} tokens out per sequence").AppendLine();
        string loop = LlamaSharp.LlamaNativeSetup.Library is { } native ? $"the llama.cpp at `{native}` (Model:NativeLibrary)"
            : "the llama.cpp bundled with the project's LLamaSharp package";
        md.AppendLine($"The ceiling loop through {loop} (second of two rounds) beside `llama-batched-bench` " +
                      $"on the same GGUF, {threads} thread(s) each, batches of 512, {(unified ? "unified KV" : "a KV stream per sequence")}, " +
                      $"flash attention {(flashAttention ? "on" : "off")}.").AppendLine();
        md.AppendLine($"- llama-batched-bench: `{binary} {string.Join(' ', args)}`{runs}");
        foreach (string line in output.Split('\n').Where(l => l.StartsWith("build:") || l.Contains("n_kv_max =")))
            md.AppendLine($"- `{line.Trim()}`");
        if (problem is not null)
            md.AppendLine($"- llama-batched-bench {problem}");
        md.AppendLine();
        md.AppendLine("| sequences | prompt tok/s, LLamaSharp | prompt tok/s, llama-batched-bench | LLamaSharp / llama.cpp | " +
                      "generation tok/s, LLamaSharp | generation tok/s, llama-batched-bench | LLamaSharp / llama.cpp |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int c in sequences)
        {
            var o = ours[c];
            var t = theirs.GetValueOrDefault(c, new Speeds(double.NaN, double.NaN));
            md.AppendLine($"| {c} | {F(o.PromptTokensPerSecond)} | {F(t.PromptTokensPerSecond)} | {F(o.PromptTokensPerSecond / t.PromptTokensPerSecond)} | " +
                          $"{F(o.GenerationTokensPerSecond)} | {F(t.GenerationTokensPerSecond)} | {F(o.GenerationTokensPerSecond / t.GenerationTokensPerSecond)} |");
        }
        return md.AppendLine().ToString();
    }

    // Two rounds of `sequences` prompts; the second one's timings, so neither side counts a first decode's warm-up.
    private static Speeds Ceiling(LLamaWeights weights, int sequences, int promptTokens, int outputTokens, int threads, bool unified,
        bool flashAttention)
    {
        var prompts = LoadSweep.Prompts(2 * sequences, promptTokens, weights.Vocab.Count, sequences);
        var last = CeilingRunner.Run(weights.NativeHandle, sequences, prompts, outputTokens,
            BenchContexts.Options(threads, unified, flashAttention)).Requests[^1];
        return new Speeds(sequences * promptTokens / (last.TtftMs / 1000), sequences * (outputTokens - 1) / ((last.E2eMs - last.TtftMs) / 1000));
    }

    // Its output (stdout and stderr: llama.cpp logs to both), and what went wrong if it did not exit with 0 in time.
    private static async Task<(string Output, string? Problem)> RunAsync(string binary, string[] args, TimeSpan limit)
    {
        var psi = new ProcessStartInfo(binary);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        var (exitCode, stdout, stderr) = await ProcessRun.ToExitAsync(psi, limit);
        string output = stdout + "\n" + stderr;
        string? problem = exitCode is null ? $"not finished after {LoadSweep.Duration(limit)}"
            : exitCode != 0 ? $"exited with {exitCode}: {output.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim()}" : null;
        return (output, problem);
    }

    // Its markdown table, columns found by their headers: B (sequences), S_PP t/s and S_TG t/s.
    private static Dictionary<int, Speeds> Parse(string output)
    {
        var rows = new Dictionary<int, Speeds>();
        string[]? header = null;
        foreach (string line in output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('|') && !l.StartsWith("|-")))
        {
            string[] cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Contains("S_PP t/s"))
            {
                header = cells;
                continue;
            }
            if (header is null || cells.Length != header.Length)
                continue;
            double Cell(string name) => Array.IndexOf(header, name) is >= 0 and var i
                && double.TryParse(cells[i], CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            if (Cell("B") is var b && !double.IsNaN(b))
                rows[(int)b] = new Speeds(Cell("S_PP t/s"), Cell("S_TG t/s"));
        }
        return rows;
    }
}
