using System.Diagnostics;

namespace InferenceServer.Bench;

/// <summary><c>generate-model</c>: writes a synthetic preset as F16 GGUF, optionally quantized by llama.cpp.</summary>
internal static class GenerateModel
{
    public static void Run(Cli cli)
    {
        string preset = cli.Get("preset", "small");
        string type = cli.Get("type", "f16").ToLowerInvariant();
        var sw = Stopwatch.StartNew();
        string path = BenchModels.Ensure(preset, type, cli.Get("seed", 1));
        if (cli.Get("out") is { } output)
        {
            File.Copy(path, output, overwrite: true);
            path = output;
        }
        var spec = BenchModels.Preset(preset);
        Console.WriteLine($"{path}: {spec.ParameterCount:N0} parameters, {type}, {new FileInfo(path).Length:N0} bytes, {sw.Elapsed.TotalSeconds:F1} s");
    }
}
