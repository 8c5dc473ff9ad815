using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.LlamaSharp;
using InferenceServer.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceServer.Bench;

/// <summary>
/// This server's engine in-process, without HTTP: the same EngineLoop, EngineCore, scheduler and llama.cpp runner; its
/// step profile is the one <c>/v1/engine/stats</c> reports (<see cref="EngineStats.StepTimes"/>).
/// </summary>
internal sealed class InProcessEngine : IAsyncDisposable
{
    private readonly EngineLoop _loop;
    private readonly LlamaModelHost _host;
    private readonly Capture _capture;

    private InProcessEngine(EngineLoop loop, EngineClient client, LlamaModelHost host, Capture capture)
    {
        _loop = loop;
        Client = client;
        _host = host;
        _capture = capture;
    }

    /// <summary>The runner the engine created (for its grammar counters and switches).</summary>
    public LlamaModelRunner? Runner => _capture.Runner;

    public EngineClient Client { get; }
    public LlamaModelHost Host => _host;

    public static async Task<InProcessEngine> StartAsync(string modelPath, EngineOptions options)
    {
        var modelOptions = Options.Create(new ModelOptions { Path = modelPath });
        var host = new LlamaModelHost(modelOptions);
        var engineOptions = Options.Create(options);
        var client = new EngineClient(engineOptions, TimeProvider.System);
        var factory = new Capture(new LlamaModelRunnerFactory(host, modelOptions, NullLoggerFactory.Instance));
        var loop = new EngineLoop(client, factory, engineOptions, TimeProvider.System, new NoLifetime(), NullLogger<EngineLoop>.Instance);
        await loop.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => client.IsReady, TimeSpan.FromMinutes(10), $"the engine did not load {modelPath} within 10 minutes");
        return new InProcessEngine(loop, client, host, factory);
    }

    public async ValueTask DisposeAsync()
    {
        await _loop.StopAsync(CancellationToken.None);
        _loop.Dispose();
        _host.Dispose();
    }

    private sealed class Capture(IModelRunnerFactory inner) : IModelRunnerFactory
    {
        public LlamaModelRunner? Runner { get; private set; }

        public async Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken)
        {
            var loaded = await inner.CreateAsync(options, cancellationToken);
            Runner = loaded.Runner as LlamaModelRunner;
            return loaded;
        }
    }

    private sealed class NoLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }
}
