namespace InferenceServer.Testing;

/// <summary>The checkout a test or bench binary was built in.</summary>
public static class RepositoryRoot
{
    /// <summary>The nearest folder above the running binary that holds <c>InferenceServer.sln</c>.</summary>
    /// <exception cref="InvalidOperationException">The binary does not run from inside a checkout.</exception>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "InferenceServer.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Run from the repository (InferenceServer.sln not found above the binary).");
    }
}
