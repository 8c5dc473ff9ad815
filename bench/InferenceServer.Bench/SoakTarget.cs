namespace InferenceServer.Bench;

/// <summary>
/// The server a soak runs against: this server started on a preset (published Release build, like <c>report</c>), or
/// any OpenAI-compatible server already listening on a loopback URL.
/// </summary>
internal sealed class SoakTarget : IAsyncDisposable
{
    private SoakTarget(Uri v1, string model, int vocabSize, int? pid, BenchServer? server, string description)
    {
        V1 = v1;
        Model = model;
        VocabSize = vocabSize;
        Pid = pid;
        Server = server;
        Description = description;
    }

    public Uri V1 { get; }
    public string Model { get; }
    public int VocabSize { get; }

    /// <summary>The server's process id, when known (started here, or <c>--pid</c>), for memory samples.</summary>
    public int? Pid { get; }

    /// <summary>The server this soak started; null with <c>--url</c>.</summary>
    public BenchServer? Server { get; }

    public string Description { get; }

    /// <exception cref="ArgumentException">Options missing or inconsistent, or a URL that is not loopback.</exception>
    public static async Task<SoakTarget> StartAsync(Cli cli, int concurrency)
    {
        if (cli.Get("preset") is not null && cli.Get("url") is not null)
            throw new ArgumentException("give either --preset (start this server) or --url (a running server), not both");
        if (cli.Get("preset") is not { } preset)
        {
            var url = BenchHttp.LoopbackBaseUrl(cli.Get("url") ?? throw new ArgumentException("give --preset, or --url and --model"));
            string model = cli.Get("model") ?? throw new ArgumentException("--model is required with --url");
            int? pid = cli.Get("pid") is { } p ? int.Parse(p) : null;
            if (pid is { } id && RssSampler.ReadKib(id) is null)
                throw new ArgumentException($"--pid {id}: no such process (or no /proc)");
            return new SoakTarget(url, model, cli.Get("vocab", 8192), pid, null, $"`{model}` at {url}");
        }
        string weights = cli.Get("weights", "f16");
        string path = BenchModels.Ensure(preset, weights);
        // Room for every client's request (at most four sequences each) to wait: the soak is not a queue-full test.
        string[] settings =
        [
            "--Engine:MaxWaiting", (concurrency * 4 + 64).ToString(),
            .. cli.Get("threads") is { } threads ? ["--Engine:Threads", threads] : Array.Empty<string>(),
            .. BenchServer.ExtraArgs(cli),
        ];
        var server = await BenchServer.StartAsync(BenchServer.Publish(), path, settings);
        return new SoakTarget(server.V1, Path.GetFileNameWithoutExtension(path), BenchModels.Preset(preset).VocabSize, server.ProcessId, server,
            $"this server (published Release build) on synthetic `{preset}` {weights}, started with `{string.Join(' ', settings)}`");
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
