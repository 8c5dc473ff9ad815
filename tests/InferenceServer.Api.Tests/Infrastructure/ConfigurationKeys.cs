using System.Reflection;
using InferenceServer.Api.Options;
using InferenceServer.Engine;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Checks that an environment variable name (<c>Section__Key</c>) names a real configuration setting.</summary>
public static class ConfigurationKeys
{
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        [ModelOptions.SectionName] = typeof(ModelOptions),
        [EngineOptions.SectionName] = typeof(EngineOptions),
        [ServerOptions.SectionName] = typeof(ServerOptions),
    };

    /// <summary>True for <c>Urls</c> and for <c>Section__Property[__index]</c> of the server's options classes.</summary>
    public static bool Exists(string variable)
    {
        if (variable.Equals("Urls", StringComparison.OrdinalIgnoreCase) || variable.Equals("ASPNETCORE_URLS", StringComparison.Ordinal))
            return true;
        var parts = variable.Split("__");
        return parts.Length >= 2 && Sections.TryGetValue(parts[0], out var type)
            && type.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true }
            && (parts.Length == 2 || parts.Length == 3 && int.TryParse(parts[2], out _));
    }

    /// <summary>The repository root (the folder holding InferenceServer.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "InferenceServer.sln")))
                    return dir.FullName;
            throw new InvalidOperationException("repository root not found");
        }
    }
}
