using InferenceServer.LlamaSharp.ModelGeneration;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Synthetic models the tests generate once and cache in <see cref="TestServer.DataDirectory"/>.</summary>
public static class TestModels
{
    private static readonly Lazy<string> SmallPath = new(() => Ensure(SyntheticModelSpec.Small, seed: 5));

    /// <summary>The ~26M-parameter preset (head size 64, so quantized KV types apply).</summary>
    public static string Small => SmallPath.Value;

    private static string Ensure(SyntheticModelSpec spec, int seed)
    {
        string path = Path.Combine(TestServer.DataDirectory, spec.GetCacheFileName(seed));
        if (!File.Exists(path))
            SyntheticModelWriter.Write(spec, seed, path);
        return path;
    }
}
