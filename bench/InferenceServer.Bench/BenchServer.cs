using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace InferenceServer.Bench;

/// <summary>This server as a separate process (published Release build), for the over-HTTP target.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private const int MaxLogLines = 50;

    private readonly Process _process;
    private readonly LogTail _log;

    private BenchServer(Process process, Uri v1, LogTail log)
    {
        _process = process;
        V1 = v1;
        _log = log;
    }

    public Uri V1 { get; }

    public int ProcessId => _process.Id;

    /// <summary>Exit code if the server process has ended (crashed: the bench never stops it before disposing).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// Number of lines the server wrote at warning level or above (it runs with minimum level Warning, so every
    /// Serilog event counts; exception stack lines do not).
    /// </summary>
    public int NumLogEvents => _log.NumEvents;

    /// <summary>The first lines of the server's output (up to 50), for a report that explains a failure.</summary>
    public IReadOnlyList<string> FirstLogLines => _log.Lines;

    /// <summary>Publishes src/InferenceServer.Api (Release) into a temporary folder of this checkout; returns the DLL path.</summary>
    public static string Publish()
    {
        string root = RepositoryRoot();
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

    public static async Task<BenchServer> StartAsync(string dll, string model, IEnumerable<string> settings)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[dll, "--urls", $"http://127.0.0.1:{port}", "--Model:Path", model, "--Serilog:MinimumLevel:Default", "Warning", .. settings])
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var log = new LogTail();
        process.OutputDataReceived += (_, e) => log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (int i = 0; i < 600; i++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"server exited with {process.ExitCode}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).IsSuccessStatusCode)
                    return new BenchServer(process, new Uri($"http://127.0.0.1:{port}/v1/"), log);
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill();
        throw new TimeoutException("server did not become ready");
    }

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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    // Output lines arrive on two threads; the first ones are kept (a failure's first message is the telling one).
    private sealed class LogTail
    {
        private readonly List<string> _lines = [];
        private int _numEvents;

        public int NumEvents => Volatile.Read(ref _numEvents);

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }

        public void Add(string? line)
        {
            if (line is null)
                return;
            if (line.StartsWith('['))
                Interlocked.Increment(ref _numEvents);
            lock (_lines)
                if (_lines.Count < MaxLogLines)
                    _lines.Add(line);
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "InferenceServer.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Run the bench from the repository (InferenceServer.sln not found above it).");
    }
}
