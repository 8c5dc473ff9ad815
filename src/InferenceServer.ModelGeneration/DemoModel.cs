namespace InferenceServer.ModelGeneration;

/// <summary>
/// The small synthetic model the server can run without any downloaded weights ("demo mode"), generated on
/// first use and cached under a file name that encodes spec, seed and generator version.
/// </summary>
public static class DemoModel
{
    /// <summary>Seed used for the demo weights.</summary>
    public const int Seed = 20240601;

    /// <summary>Shape of the demo model (<see cref="SyntheticModelSpec.Demo"/>).</summary>
    public static SyntheticModelSpec Spec => SyntheticModelSpec.Demo;

    /// <summary>Cache file name, e.g. <c>synthetic-tiny-g1-0123456789ab.gguf</c>.</summary>
    public static string FileName => Spec.GetCacheFileName(Seed);

    /// <summary>
    /// Returns the path of the demo model inside <paramref name="dataDirectory"/>, generating it if absent
    /// (about 2.3 MB, well under a second). Safe when several processes race: each writes its own temporary
    /// file and atomically moves it into place; the contents are identical.
    /// </summary>
    /// <param name="dataDirectory">Directory for the cached file; created if missing.</param>
    /// <param name="cancellationToken">Cancels generation.</param>
    /// <returns>Absolute path of the GGUF file.</returns>
    /// <exception cref="IOException">The directory or file could not be written.</exception>
    /// <exception cref="DllNotFoundException">LLamaSharp's native backend is missing.</exception>
    public static string Ensure(string dataDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        var path = Path.GetFullPath(Path.Combine(dataDirectory, FileName));
        if (File.Exists(path))
            return path;
        try
        {
            SyntheticModelWriter.Write(Spec, Seed, path, cancellationToken);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process won the race and its (identical) file is in use; keep it.
        }
        return path;
    }

    /// <summary>Asynchronous <see cref="Ensure"/>; generation runs on the thread pool.</summary>
    /// <inheritdoc cref="Ensure" path="/param"/>
    /// <inheritdoc cref="Ensure" path="/exception"/>
    public static Task<string> EnsureAsync(string dataDirectory, CancellationToken cancellationToken = default) =>
        Task.Run(() => Ensure(dataDirectory, cancellationToken), cancellationToken);
}
