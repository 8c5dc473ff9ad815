using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.LlamaSharp;
using InferenceServer.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceServer.Bench;

/// <summary>
/// This server's engine in-process, without HTTP: the same EngineLoop, EngineCore, scheduler and llama.cpp runner; its
/// step profile is the one <c>/v1/engine/stats</c> reports (<see cref="EngineStats.StepTimes"/>).
/// </summary>
internal sealed class InProcessEngine : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly EngineLoop _loop;
    private readonly LlamaModelHost _host;
    private readonly Capture _capture;

    private InProcessEngine(ServiceProvider provider, EngineLoop loop, EngineClient client, LlamaModelHost host, Capture capture)
    {
        _provider = provider;
        _loop = loop;
        Client = client;
        _host = host;
        _capture = capture;
    }

    /// <summary>The runner the engine created (for its grammar counters and switches).</summary>
    public LlamaModelRunner? Runner => _capture.Runner;

    public EngineClient Client { get; }
    public LlamaModelHost Host => _host;

    /// <summary>
    /// Composes the engine as the server does (<see cref="EngineServices.AddEngine"/>,
    /// <see cref="LlamaCppServices.AddLlamaCppRunner"/>) on <paramref name="modelPath"/> and starts it.
    /// </summary>
    public static async Task<InProcessEngine> StartAsync(string modelPath, EngineOptions options)
    {
        var services = new ServiceCollection()
            .AddSingleton(Options.Create(new ModelOptions { Path = modelPath }))
            .AddSingleton(Options.Create(options))
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton<IHostApplicationLifetime, NoLifetime>()
            .AddEngine()
            .AddLlamaCppRunner();
        // The bench reads the runner's grammar counters: keep the runner the factory makes.
        services.AddSingleton(sp => new Capture(ActivatorUtilities.CreateInstance<LlamaModelRunnerFactory>(sp)));
        services.AddSingleton<IModelRunnerFactory>(sp => sp.GetRequiredService<Capture>());
        var provider = services.BuildServiceProvider();
        var loop = provider.GetServices<IHostedService>().OfType<EngineLoop>().Single();
        var client = provider.GetRequiredService<EngineClient>();
        await loop.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => client.IsReady, TimeSpan.FromMinutes(10), $"the engine did not load {modelPath} within 10 minutes");
        return new InProcessEngine(provider, loop, client, provider.GetRequiredService<LlamaModelHost>(), provider.GetRequiredService<Capture>());
    }

    public async ValueTask DisposeAsync()
    {
        await _loop.StopAsync(CancellationToken.None);
        // Disposes the loop and the model host.
        await _provider.DisposeAsync();
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
