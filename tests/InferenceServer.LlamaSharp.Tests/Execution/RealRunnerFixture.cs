using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.ModelGeneration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>
/// The demo model loaded through the production factory into a real llama.cpp context: 32 blocks of 4 tokens,
/// 4 sequences, a token budget of 16, one thread.
/// </summary>
public class RealRunnerFixture : IAsyncLifetime
{
    public static readonly EngineOptions Options = new()
    {
        BlockSize = 4, NumBlocks = 32, MaxSequences = 4, MaxBatchTokens = 16, Threads = 1,
    };

    /// <summary>The options the runner is created with.</summary>
    protected virtual EngineOptions RunnerOptions => Options;

    public LlamaModelHost Host { get; private set; } = null!;
    public LlamaModelRunner Runner { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string dir = Path.Combine(Path.GetTempPath(), "inference-server-tests");
        var modelOptions = Microsoft.Extensions.Options.Options.Create(new ModelOptions { Path = DemoModel.Ensure(dir) });
        Host = new LlamaModelHost(modelOptions);
        var factory = new LlamaModelRunnerFactory(Host, modelOptions, NullLoggerFactory.Instance);
        Runner = (LlamaModelRunner)(await factory.CreateAsync(RunnerOptions, CancellationToken.None)).Runner;
        RealEngineDriver.PrepareCellCounting(Runner);
    }

    public Task DisposeAsync()
    {
        Runner.Dispose();
        Host.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The demo model in llama.cpp's per-sequence KV layout: 4 streams of 256 cells (256 blocks of 4 tokens), a token
/// budget of 16, one thread.
/// </summary>
public sealed class PerSequenceRunnerFixture : RealRunnerFixture
{
    protected override EngineOptions RunnerOptions { get; } = new()
    {
        BlockSize = 4, NumBlocks = 256, MaxSequences = 4, MaxBatchTokens = 16, Threads = 1, KvLayout = KvLayout.PerSequence,
    };
}

/// <summary>
/// The demo model in deterministic mode: per-sequence streams as <see cref="PerSequenceRunnerFixture"/>, and one
/// llama_decode per sequence per step.
/// </summary>
public sealed class DeterministicRunnerFixture : RealRunnerFixture
{
    protected override EngineOptions RunnerOptions { get; } = new()
    {
        BlockSize = 4, NumBlocks = 256, MaxSequences = 4, MaxBatchTokens = 16, Threads = 1, Deterministic = true,
    };
}
