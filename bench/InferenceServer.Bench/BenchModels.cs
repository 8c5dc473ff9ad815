using InferenceServer.ModelGeneration;
using LLama;
using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>Synthetic models for benchmarks, generated on demand and cached (like the demo model).</summary>
internal static class BenchModels
{
    public static string DataDirectory => Path.Combine(Path.GetTempPath(), "inference-server-bench");

    public static SyntheticModelSpec Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => SyntheticModelSpec.Tiny,
        "small" => SyntheticModelSpec.Small,
        "base" => SyntheticModelSpec.Base,
        _ => throw new ArgumentException($"Unknown preset '{name}': use tiny, small or base."),
    };

    /// <summary>Path of <paramref name="preset"/> stored as <paramref name="type"/> (f16, q8_0 or q4_k_m), generating it if needed.</summary>
    public static string Ensure(string preset, string type = "f16", int seed = 1) => Ensure(Preset(preset), type, seed);

    /// <summary>Path of <paramref name="spec"/> stored as <paramref name="type"/> (f16, q8_0 or q4_k_m), generating it if needed.</summary>
    public static string Ensure(SyntheticModelSpec spec, string type, int seed)
    {
        Directory.CreateDirectory(DataDirectory);
        string f16 = Path.Combine(DataDirectory, spec.GetCacheFileName(seed));
        if (!File.Exists(f16))
            SyntheticModelWriter.Write(spec, seed, f16);
        if (type == "f16")
            return f16;
        string quantized = Path.ChangeExtension(f16, $".{type}.gguf");
        if (!File.Exists(quantized))
            SyntheticModelWriter.Quantize(f16, quantized, QuantType(type));
        return quantized;
    }

    public static LLamaFtype QuantType(string type) => type.ToLowerInvariant() switch
    {
        "q8_0" => LLamaFtype.MOSTLY_Q8_0,
        "q4_k_m" => LLamaFtype.MOSTLY_Q4_K_M,
        _ => throw new ArgumentException($"Unknown weight type '{type}': use f16, q8_0 or q4_k_m."),
    };

    /// <summary>Random token ids that avoid the special and byte tokens (ids below 300).</summary>
    public static int[] RandomTokens(int count, int vocabSize, Random random) =>
        Enumerable.Range(0, count).Select(_ => random.Next(300, vocabSize)).ToArray();

    public static LLamaWeights Load(string path) => LLamaWeights.LoadFromFile(new LLama.Common.ModelParams(path) { GpuLayerCount = 0 });
}
