using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>The built server as its own OS process on 127.0.0.1, for tests that need real signals and exit codes.</summary>
public sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet InferenceServer.dll</c> from the Api project's build output with extra arguments.</summary>
    public static async Task<ServerProcess> StartAsync(params string[] args)
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[AppDll(), "--urls", $"http://127.0.0.1:{port}", "--Engine:Threads", "1",
                     "--Model:DataDirectory", TestServer.DataDirectory, .. args])
            psi.ArgumentList.Add(a);
        var server = new ServerProcess(Process.Start(psi)!, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(server.HasExited, "server exited early:\n" + server.Output);
            try
            {
                if ((await server.Http.GetAsync("health/ready")).IsSuccessStatusCode)
                    return server;
            }
            catch (HttpRequestException) { }
            Assert.True(DateTime.UtcNow < deadline, "server not ready:\n" + server.Output);
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Runs the server with <paramref name="args"/> until it exits on its own (a start that must fail); returns its exit
    /// code and its standard error.
    /// </summary>
    public static async Task<(int ExitCode, string Error)> RunToExitAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[AppDll(), "--urls", $"http://127.0.0.1:{FreePort()}", "--Model:DataDirectory", TestServer.DataDirectory, .. args])
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        await stdout;
        return (process.ExitCode, await stderr);
    }

    /// <summary>Sends SIGTERM, as Kubernetes and docker stop do.</summary>
    public void Terminate() => Assert.Equal(0, Kill(_process.Id, 15));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        Http.Dispose();
    }

    private static string AppDll()
    {
        // tests/InferenceServer.Api.Tests/bin/<Configuration>/net10.0 → src/InferenceServer.Api/bin/<Configuration>/net10.0
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "InferenceServer.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        string dll = Path.Combine(root.FullName, "src", "InferenceServer.Api", "bin", configuration, testBin.Name, "InferenceServer.dll");
        Assert.True(File.Exists(dll), $"build output missing: {dll}");
        return dll;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
