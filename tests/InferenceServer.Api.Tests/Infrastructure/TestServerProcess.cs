using InferenceServer.Testing;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>The built server as its own OS process on 127.0.0.1, for tests that need real signals and exit codes.</summary>
public static class TestServerProcess
{
    /// <summary>
    /// Starts <c>dotnet InferenceServer.dll</c> from the Api project's build output with one llama.cpp thread, the tests'
    /// data folder and <paramref name="args"/>; waits up to a minute until it is ready.
    /// </summary>
    public static Task<ServerProcess> StartAsync(params string[] args) =>
        ServerProcess.StartAsync(AppDll(), ["--Engine:Threads", "1", "--Model:DataDirectory", TestServer.DataDirectory, .. args],
            TimeSpan.FromSeconds(60));

    /// <summary>
    /// Runs the server with <paramref name="args"/> until it exits on its own (a start that must fail); returns its exit
    /// code and its standard error.
    /// </summary>
    public static Task<(int ExitCode, string Error)> RunToExitAsync(params string[] args) =>
        ServerProcess.RunToExitAsync(AppDll(), ["--Model:DataDirectory", TestServer.DataDirectory, .. args], TimeSpan.FromSeconds(60));

    private static string AppDll()
    {
        // tests/InferenceServer.Api.Tests/bin/<Configuration>/net10.0 → src/InferenceServer.Api/bin/<Configuration>/net10.0
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string configuration = testBin.Parent!.Name;
        string dll = Path.Combine(RepositoryRoot.Find(), "src", "InferenceServer.Api", "bin", configuration, testBin.Name, "InferenceServer.dll");
        Assert.True(File.Exists(dll), $"build output missing: {dll}");
        return dll;
    }
}
