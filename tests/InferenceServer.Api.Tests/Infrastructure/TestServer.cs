using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.LlamaSharp;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// The real application on real Kestrel at 127.0.0.1 (random port), with real llama.cpp, or for contract tests with
/// the fake model of <see cref="FakeRunnerFactory"/> (no llama.cpp). Settings are ordinary configuration keys (e.g.
/// <c>Engine:MaxSequences</c>). A gate, when given, holds the model load until it is completed, so tests can observe
/// the not-ready state.
/// </summary>
public sealed class TestServer : WebApplicationFactory<Program>
{
    /// <summary>Folder where tests keep generated models (the demo model is cached there).</summary>
    public static readonly string DataDirectory = Path.Combine(Path.GetTempPath(), "inference-server-tests");

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TaskCompletionSource? _gate;
    private readonly FakeRunnerFactory? _fakeModel;

    private TestServer(IReadOnlyDictionary<string, string?> settings, TaskCompletionSource? gate, FakeRunnerFactory? fakeModel)
    {
        _settings = settings;
        _gate = gate;
        _fakeModel = fakeModel;
    }

    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public EngineClient Engine => Services.GetRequiredService<EngineClient>();
    /// <summary>The llama.cpp model host (not loaded on a fake-model server).</summary>
    public LlamaModelHost Model => Services.GetRequiredService<LlamaModelHost>();
    /// <summary>The served model's id.</summary>
    public string ModelId => Services.GetRequiredService<ModelCard>().Id;

    private static readonly SemaphoreSlim StartLock = new(1, 1);

    /// <summary>
    /// Starts a server on the fake model of <see cref="FakeRunnerFactory"/> (each step taking <paramref name="stepDelay"/>)
    /// and, unless gated, waits until it is ready.
    /// </summary>
    public static Task<TestServer> StartFakeAsync(IReadOnlyDictionary<string, string?>? settings = null, TaskCompletionSource? gate = null,
        TimeSpan stepDelay = default) =>
        StartAsync(settings, gate, new FakeRunnerFactory { StepDelay = stepDelay });

    /// <summary>Starts a server on llama.cpp and, unless gated, waits until it is ready.</summary>
    public static Task<TestServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, TaskCompletionSource? gate = null) =>
        StartAsync(settings, gate, fakeModel: null);

    private static async Task<TestServer> StartAsync(IReadOnlyDictionary<string, string?>? settings, TaskCompletionSource? gate,
        FakeRunnerFactory? fakeModel)
    {
        var all = new Dictionary<string, string?>
        {
            ["Engine:Threads"] = "1",
            ["Model:DataDirectory"] = DataDirectory,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            all[k] = v;
        // Without this the app's default listen address (127.0.0.1:8000) would be bound too, and taken by anything else.
        all["urls"] = "http://127.0.0.1:0";
        // WebApplicationFactory finds the app's host through a process-wide diagnostic listener, so two test classes
        // building servers at the same moment can each catch the other's host; one build at a time. Even so a build
        // now and then catches a host that already started (Kestrel refuses to change its addresses): build again.
        TestServer server;
        for (int attempt = 1; ; attempt++)
        {
            server = new TestServer(all, gate, fakeModel);
            server.UseKestrel(0);
            await StartLock.WaitAsync();
            try
            {
                server.StartServer();
                break;
            }
            catch (Exception e)
            {
                // A host that failed to start still owns a model and maybe an engine thread: stop them, don't leak them.
                await server.DisposeAsync();
                if (attempt == 3 || e is not InvalidOperationException || !e.Message.Contains("after the server has started", StringComparison.Ordinal))
                    throw;
            }
            finally
            {
                StartLock.Release();
            }
        }
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1") + "/");
        server.Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (gate is null)
            await server.WaitReadyAsync();
        return server;
    }

    public Task WaitReadyAsync() =>
        Poll.UntilAsync(() => Engine.IsReady, TimeSpan.FromSeconds(60), "server did not become ready", TimeSpan.FromMilliseconds(20));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        if (_gate is null && _fakeModel is null)
            return;
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IModelRunnerFactory>();
            services.AddSingleton<LlamaModelRunnerFactory>();
            services.AddSingleton<IModelRunnerFactory>(sp =>
            {
                IModelRunnerFactory inner = _fakeModel ?? (IModelRunnerFactory)sp.GetRequiredService<LlamaModelRunnerFactory>();
                return _gate is { } gate ? new GatedRunnerFactory(inner, gate.Task) : inner;
            });
        });
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, HttpCompletionOption option = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return Http.SendAsync(request, option, cancellationToken);
    }

    public Task<HttpResponseMessage> PostAsync(string path, object body, HttpCompletionOption option = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default) =>
        PostJsonAsync(path, JsonSerializer.Serialize(body), option, cancellationToken);

    /// <summary>Non-streaming chat completion; returns the parsed response (asserting 200).</summary>
    public async Task<JsonNode> ChatAsync(object body)
    {
        using var response = await PostAsync("v1/chat/completions", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Posts a chat completion that must be refused; asserts a 400 <c>invalid_request_error</c> and returns its error object.</summary>
    public async Task<JsonNode> ChatErrorAsync(string json)
    {
        using var response = await PostJsonAsync("v1/chat/completions", json);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{json}: {(int)response.StatusCode} {text}");
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        return error;
    }

    /// <summary>Streams a request and returns every <c>data:</c> payload in order.</summary>
    public async Task<List<string>> StreamAsync(string path, object body)
    {
        using var response = await PostAsync(path, body, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await SseReader.ReadAllAsync(response);
    }

    protected override void Dispose(bool disposing)
    {
        Http?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Delays the real model load until the gate opens.</summary>
    private sealed class GatedRunnerFactory(IModelRunnerFactory inner, Task gate) : IModelRunnerFactory
    {
        public async Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken);
            return await inner.CreateAsync(options, cancellationToken);
        }
    }
}
