using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InferenceServer.Bench;

/// <summary>This server as a separate process (published Release build), for the over-HTTP target.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly Process _process;

    private BenchServer(Process process, Uri v1)
    {
        _process = process;
        V1 = v1;
    }

    public Uri V1 { get; }

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
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
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
                    return new BenchServer(process, new Uri($"http://127.0.0.1:{port}/v1/"));
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill();
        throw new TimeoutException("server did not become ready");
    }

    /// <summary>The server's step count and step profile from <c>GET /v1/engine/stats</c>.</summary>
    public async Task<InferenceServer.Engine.EngineStats> StatsAsync()
    {
        using var http = new HttpClient();
        var json = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri(V1, "engine/stats")))!;
        var times = json["step_times"];
        return InferenceServer.Engine.EngineStats.NotReady with
        {
            NumSteps = (long)json["num_steps"]!,
            StepTimes = times is null ? null
                : new InferenceServer.Engine.StepTimes((double)times["schedule_ms"]!, (double)times["execute_ms"]!, (double)times["update_ms"]!),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "InferenceServer.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Run the bench from the repository (InferenceServer.sln not found above it).");
    }
}
