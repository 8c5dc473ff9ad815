namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Finds material in ../shared beside the checkout (present in development and CI, never committed).</summary>
public static class SharedFiles
{
    /// <summary>Full path of <c>shared/<paramref name="relativePath"/></c> in the nearest parent folder, or null.</summary>
    public static string? Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
