using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace InferenceServer.Testing;

/// <summary>
/// The built server (<c>dotnet InferenceServer.dll</c>) as its own OS process on a free 127.0.0.1 port, started and
/// awaited until <c>/health/ready</c> answers 200; its output is captured. Disposing kills it if it still runs.
/// </summary>
public sealed partial class ServerProcess : IDisposable, IAsyncDisposable
{
    private readonly Process _process;
    private readonly OutputLog _output;

    private ServerProcess(Process process, Uri baseAddress, OutputLog output)
    {
        _process = process;
        _output = output;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }
    /// <summary>A client on <see cref="BaseAddress"/> with a two-minute timeout.</summary>
    public HttpClient Http { get; }
    /// <summary>The OS process id.</summary>
    public int ProcessId => _process.Id;
    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;
    /// <summary>The exit code; only valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;
    /// <summary>The captured standard output and error, one line each (up to the start's line cap).</summary>
    public string Output => string.Join(Environment.NewLine, _output.Lines);
    /// <summary>The captured lines (up to the start's line cap).</summary>
    public IReadOnlyList<string> OutputLines => _output.Lines;
    /// <summary>Lines that are log events (the server's console format starts them with <c>[</c>), counted past the cap too.</summary>
    public int NumLogEvents => _output.NumEvents;

    /// <summary>Starts the server and waits until it is ready.</summary>
    /// <param name="dll">The server's <c>InferenceServer.dll</c>, run with <c>dotnet</c>.</param>
    /// <param name="args">Its arguments after <c>--urls http://127.0.0.1:{port}</c> (a later value of a key wins).</param>
    /// <param name="readyWithin">How long it may take until <c>/health/ready</c> answers 200.</param>
    /// <param name="maxOutputLines">Lines of output to keep (the first ones: a failure's first message tells most).</param>
    /// <exception cref="InvalidOperationException">The server exited before it was ready; the message has its output.</exception>
    /// <exception cref="TimeoutException">Not ready in time (the process is killed); the message has its output.</exception>
    public static async Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, TimeSpan readyWithin,
        int maxOutputLines = int.MaxValue)
    {
        int port = FreeLoopbackPort();
        var output = new OutputLog(maxOutputLines);
        var process = Process.Start(StartInfo(dll, port, args))!;
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"), output);
        try
        {
            await Poll.UntilAsync(server.IsReadyAsync, readyWithin, () => $"server not ready within {readyWithin}:\n{server.Output}", TimeSpan.FromMilliseconds(100));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the server with <paramref name="args"/> until it exits on its own (a start that must fail); returns its exit
    /// code and its standard error.
    /// </summary>
    /// <exception cref="OperationCanceledException">It still ran after <paramref name="limit"/>.</exception>
    public static async Task<(int ExitCode, string Error)> RunToExitAsync(string dll, IEnumerable<string> args, TimeSpan limit)
    {
        var (exitCode, _, error) = await ProcessRun.ToExitAsync(StartInfo(dll, FreeLoopbackPort(), args), limit);
        return (exitCode ?? throw new OperationCanceledException($"The server still ran after {limit}."), error);
    }

    /// <summary>Sends SIGTERM, as Kubernetes and docker stop do.</summary>
    /// <exception cref="InvalidOperationException">The signal could not be sent.</exception>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process to end; returns its exit code.</summary>
    /// <exception cref="OperationCanceledException">Still running after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>A free port on 127.0.0.1 (free when asked; another process may take it before it is used).</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        Http.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> IsReadyAsync()
    {
        if (HasExited)
            throw new InvalidOperationException($"server exited early with {ExitCode}:\n{Output}");
        try
        {
            return (await Http.GetAsync("health/ready")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static ProcessStartInfo StartInfo(string dll, int port, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[dll, "--urls", $"http://127.0.0.1:{port}", .. args])
            psi.ArgumentList.Add(a);
        return psi;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    // Output lines arrive on two threads; the first ones are kept.
    private sealed class OutputLog(int maxLines)
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
                if (_lines.Count < maxLines)
                    _lines.Add(line);
        }
    }
}
