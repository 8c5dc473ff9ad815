using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>A real server process started with a bad setting stops at once and says why.</summary>
[Collection(ServerCollection.Name)]
public sealed class StartupTests
{
    [Theory]
    [InlineData("--Engine:KvLayout", "Foo", "Engine:KvLayout")]
    [InlineData("--Engine:Deterministic", "yes", "Engine:Deterministic")]
    [InlineData("--Engine:MaxSequences", "0", "MaxSequences")]
    public async Task A_bad_setting_stops_the_server_with_one_line_naming_it_and_exit_code_2(string key, string value, string named)
    {
        var (exitCode, error) = await TestServerProcess.RunToExitAsync(key, value);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Invalid configuration:", error);
        Assert.Contains(named, error);
        Assert.DoesNotContain("Unhandled exception", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_native_library_that_is_missing_or_not_llama_cpp_stops_the_server_with_one_line(bool exists)
    {
        string path = exists ? Path.GetTempFileName() : Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "libllama.so");
        try
        {
            if (exists)
                await File.WriteAllTextAsync(path, "not a shared library");
            var (exitCode, error) = await TestServerProcess.RunToExitAsync("--Model:NativeLibrary", path);

            Assert.Equal(2, exitCode);
            Assert.StartsWith("Invalid configuration: Model:NativeLibrary", error);
            Assert.Contains(exists ? "is not a llama.cpp library" : "names no file", error);
            Assert.Single(error.Trim().Split('\n'));
        }
        finally
        {
            if (exists)
                File.Delete(path);
        }
    }
}
