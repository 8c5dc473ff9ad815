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
}
