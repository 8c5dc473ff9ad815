using System.Text.RegularExpressions;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>The HTTP layer meets LLamaSharp only where the app is composed; the engine never does.</summary>
public sealed partial class LayeringTests
{
    [GeneratedRegex(@"\bInferenceServer\.LlamaSharp\b|\busing\s+LLama\b|\bLLama\.")]
    private static partial Regex LlamaSharpReference();

    private static string[] FilesNamingLlamaSharp(string project) => Directory
        .EnumerateFiles(Path.Combine(ConfigurationKeys.RepositoryRoot, "src", project), "*.cs", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                    !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
        .Where(f => LlamaSharpReference().IsMatch(File.ReadAllText(f)))
        .Select(f => Path.GetRelativePath(Path.Combine(ConfigurationKeys.RepositoryRoot, "src", project), f).Replace('\\', '/'))
        .Order(StringComparer.Ordinal)
        .ToArray();

    [Fact]
    public void Only_the_composition_of_the_api_names_llamasharp()
    {
        Assert.Equal(["Hosting/LlamaCppHosting.cs"], FilesNamingLlamaSharp("InferenceServer.Api"));
    }

    [Fact]
    public void The_engine_never_names_llamasharp()
    {
        Assert.Empty(FilesNamingLlamaSharp("InferenceServer.Engine"));
    }
}
