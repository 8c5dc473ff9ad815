using System.Diagnostics;
using InferenceServer.ModelGeneration;

namespace InferenceServer.Bench;

/// <summary>
/// <c>generate-model</c>: writes a synthetic preset as F16 GGUF, optionally quantized by llama.cpp; with
/// <c>--template FILE.jinja</c> the model carries that chat template and its model's special tokens
/// (<see cref="SyntheticTemplateCatalog"/>).
/// </summary>
internal static class GenerateModel
{
    public static void Run(Cli cli)
    {
        string type = cli.Get("type", "f16").ToLowerInvariant();
        var spec = BenchModels.Preset(cli.Get("preset", cli.Get("template") is null ? "small" : "tiny"));
        if (cli.Get("template") is { } template)
        {
            if (!File.Exists(template))
                throw new FileNotFoundException($"Template file not found: {template}", template);
            spec = SyntheticModelSpec.ForTemplate(Path.GetFileNameWithoutExtension(template), File.ReadAllText(template), spec);
        }
        var sw = Stopwatch.StartNew();
        string path = BenchModels.Ensure(spec, type, cli.Get("seed", 1));
        if (cli.Get("out") is { } output)
        {
            File.Copy(path, output, overwrite: true);
            path = output;
        }
        Console.WriteLine($"{path}: {spec.ParameterCount:N0} parameters, {type}, {new FileInfo(path).Length:N0} bytes, {sw.Elapsed.TotalSeconds:F1} s");
    }
}
