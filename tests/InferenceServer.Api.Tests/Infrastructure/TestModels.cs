using InferenceServer.ModelGeneration;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Synthetic models the tests generate once and cache in <see cref="TestServer.DataDirectory"/>.</summary>
public static class TestModels
{
    private static readonly Lazy<string> SmallPath = new(() => Ensure(SyntheticModelSpec.Small, seed: 5));

    /// <summary>The ~26M-parameter preset (head size 64, so quantized KV types apply).</summary>
    public static string Small => SmallPath.Value;

    /// <summary>
    /// A tiny model carrying the real chat template <c>../shared/templates/{templateName}.jinja</c> and its model's
    /// special tokens (<see cref="SyntheticModelSpec.ForTemplate"/>), or null when ../shared is absent.
    /// </summary>
    /// <exception cref="ArgumentException">The template is not in <see cref="SyntheticTemplateCatalog"/>.</exception>
    public static (SyntheticModelSpec Spec, string Path)? ForTemplate(string templateName)
    {
        if (SharedFiles.Find($"templates/{templateName}.jinja") is not { } file)
            return null;
        var spec = SyntheticModelSpec.ForTemplate(templateName, File.ReadAllText(file));
        return (spec, Ensure(spec, TemplateSeed));
    }

    private const int TemplateSeed = 9;

    private static string Ensure(SyntheticModelSpec spec, int seed)
    {
        string path = Path.Combine(TestServer.DataDirectory, spec.GetCacheFileName(seed));
        if (!File.Exists(path))
            SyntheticModelWriter.Write(spec, seed, path);
        return path;
    }
}
