using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using InferenceServer.Testing;

namespace InferenceServer.Bench;

/// <summary>This server as a separate process (published Release build), for the over-HTTP target.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private const int MaxLogLines = 50;

    private readonly ServerProcess _process;

    private BenchServer(ServerProcess process)
    {
        _process = process;
        V1 = new Uri(process.BaseAddress, "v1/");
    }

    public Uri V1 { get; }

    public int ProcessId => _process.ProcessId;

    /// <summary>Exit code if the server process has ended (crashed: the bench never stops it before disposing).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// Number of lines the server wrote at warning level or above (it runs with minimum level Warning, so every
    /// Serilog event counts; exception stack lines do not).
    /// </summary>
    public int NumLogEvents => _process.NumLogEvents;

    /// <summary>The first lines of the server's output (up to 50), for a report that explains a failure.</summary>
    public IReadOnlyList<string> FirstLogLines => _process.OutputLines;

    /// <summary>Publishes src/InferenceServer.Api (Release) into a temporary folder of this checkout; returns the DLL path.</summary>
    public static string Publish()
    {
        string root = RepositoryRoot.Find();
        // One folder per checkout: benches run from two worktrees at once must not overwrite each other's server.
        string checkout = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)))[..12];
        string output = Path.Combine(Path.GetTempPath(), "inference-server-bench-server-" + checkout.ToLowerInvariant());
        var psi = new ProcessStartInfo("dotnet", ["publish", Path.Combine(root, "src", "InferenceServer.Api"), "-c", "Release", "-o", output, "--nologo", "-v", "q"]);
        using var publish = Process.Start(psi)!;
        publish.WaitForExit();
        if (publish.ExitCode != 0)
            throw new InvalidOperationException("dotnet publish of the server failed");
        return Path.Combine(output, "InferenceServer.dll");
    }

    /// <summary>
    /// The server's own settings from <c>--server-arg Section:Key=value</c> (repeatable), as command-line arguments that
    /// override any the bench sets before them.
    /// </summary>
    public static string[] ExtraArgs(Cli cli) => cli.GetAll("server-arg").Select(a => "--" + a.TrimStart('-')).ToArray();

    /// <summary>Starts the server at <paramref name="dll"/> on <paramref name="model"/> and waits (up to a minute) until it is ready.</summary>
    public static async Task<BenchServer> StartAsync(string dll, string model, IEnumerable<string> settings) =>
        new(await ServerProcess.StartAsync(dll, ["--Model:Path", model, "--Serilog:MinimumLevel:Default", "Warning", .. settings],
            TimeSpan.FromMinutes(1), MaxLogLines));

    /// <summary>The server's books from <c>GET /v1/engine/stats</c>.</summary>
    public async Task<InferenceServer.Engine.EngineStats> StatsAsync()
    {
        using var http = BenchHttp.CreateClient(V1);
        return await ReadStatsAsync(http, CancellationToken.None)
            ?? throw new InvalidOperationException("the server has no /v1/engine/stats");
    }

    /// <summary>
    /// <c>GET engine/stats</c> relative to <paramref name="http"/>'s base address (a <c>/v1/</c> URL); null when the
    /// server has no such endpoint (llama-server, vLLM).
    /// </summary>
    public static async Task<InferenceServer.Engine.EngineStats?> ReadStatsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var response = (await BenchHttp.SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, "engine/stats"), cancellationToken)).Response;
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<InferenceServer.Engine.EngineStats>(StatsJson, cancellationToken);
    }

    private static readonly System.Text.Json.JsonSerializerOptions StatsJson = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
