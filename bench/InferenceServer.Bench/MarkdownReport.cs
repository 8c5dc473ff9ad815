using System.Text;

namespace InferenceServer.Bench;

/// <summary>
/// A markdown report printed section by section and, with an output file, rewritten after every section, so a long run
/// shows progress and keeps what it measured. The hand-written analysis below <see cref="AnalysisMarker"/> in an
/// existing output file is kept.
/// </summary>
internal sealed class MarkdownReport
{
    /// <summary>The hand-written analysis below this line in an existing report is kept when the report is rewritten.</summary>
    public const string AnalysisMarker = "<!-- analysis: written by hand, kept when the report is regenerated -->";

    private readonly StringBuilder _text = new();
    private readonly string? _output;
    private readonly string _kept;

    public MarkdownReport(string? output)
    {
        _output = output;
        _kept = output is not null && File.Exists(output) && File.ReadAllText(output) is var old && old.Contains(AnalysisMarker)
            ? old[old.IndexOf(AnalysisMarker, StringComparison.Ordinal)..] : "";
    }

    public void Section(Action<StringBuilder> write)
    {
        var md = new StringBuilder();
        write(md);
        Console.Write(md.ToString());
        _text.Append(md);
        if (_output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_output))!);
            File.WriteAllText(_output, _text + _kept);
        }
    }

    /// <summary>This run's command line, as it would be typed from the repository root.</summary>
    public static string Command() =>
        $"`dotnet run -c Release --project bench/InferenceServer.Bench -- {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}`";

    public static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        long memGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30;
        return $"{Environment.ProcessorCount} cores ({cpu}), {memGiB} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
