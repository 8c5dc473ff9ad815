using InferenceServer.ModelGeneration;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Caching behaviour of <see cref="DemoModel"/>.</summary>
[Collection("llama")]
public sealed class DemoModelTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "demo-model-tests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void EnsureGeneratesOnceAndThenReusesTheFile()
    {
        var path = DemoModel.Ensure(_directory);
        var written = File.GetLastWriteTimeUtc(path);

        var again = DemoModel.Ensure(_directory);

        Assert.Equal(path, again);
        Assert.Equal(Path.Combine(Path.GetFullPath(_directory), DemoModel.FileName), path);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again));
    }

    [Fact]
    public async Task ConcurrentEnsureCallsAgreeAndLeaveOneFile()
    {
        var calls = Enumerable.Range(0, 3).Select(_ => DemoModel.EnsureAsync(_directory)).ToArray();

        var paths = await Task.WhenAll(calls);

        Assert.Single(paths.Distinct());
        Assert.Single(Directory.GetFiles(_directory));
        Assert.True(new FileInfo(paths[0]).Length > 1_000_000);
    }

    [Fact]
    public void FileNameEncodesSpecSeedAndGeneratorVersion()
    {
        Assert.StartsWith($"{DemoModel.Spec.Name}-g{SyntheticModelWriter.GeneratorVersion}-", DemoModel.FileName);
        Assert.EndsWith(".gguf", DemoModel.FileName);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
