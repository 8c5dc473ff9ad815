namespace InferenceServer.Templates.Tests;

/// <summary>Finds ../shared/templates beside the checkout (present in development and CI, never committed).</summary>
internal static class SharedTemplates
{
    /// <summary>The templates folder in the nearest parent's <c>shared</c>, or null.</summary>
    public static string? FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "templates");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.jinja").Any())
                return candidate;
        }
        return null;
    }
}
