using System.Text.Json.Nodes;
using LLama;

namespace InferenceServer.Bench;

/// <summary>
/// An OpenAI-compatible server already running on loopback (llama.cpp's llama-server, vLLM) that the bench measures
/// beside this one on the same model. Its model id comes from <c>/v1/models</c>; llama-server's parameter count and
/// size there, and its slots and context from <c>/props</c>, are checked and described when it has them.
/// </summary>
internal sealed class PeerServer
{
    private readonly long? _numParams, _sizeBytes;

    private PeerServer(string name, Uri v1, string model, long? numParams, long? sizeBytes, string details)
    {
        Name = name;
        V1 = v1;
        Model = model;
        _numParams = numParams;
        _sizeBytes = sizeBytes;
        Description = $"`{name}` at {v1}: model `{model}`{details}";
    }

    /// <summary>The label of its rows (<c>--peer-name</c>, default "peer").</summary>
    public string Name { get; }
    public Uri V1 { get; }
    public string Model { get; }

    /// <summary>One line for a report's header: what the peer said about itself.</summary>
    public string Description { get; }

    /// <summary>The peer given by <c>--peer URL [--peer-name NAME]</c>, or null without <c>--peer</c>.</summary>
    /// <exception cref="HttpRequestException">Nothing answers at the URL.</exception>
    public static async Task<PeerServer?> ConnectAsync(Cli cli)
    {
        if (cli.Get("peer") is not { } url)
            return null;
        var v1 = BenchHttp.LoopbackBaseUrl(url);
        using var http = BenchHttp.CreateClient(v1);
        var first = (await GetJsonAsync(http, "models"))?["data"]?.AsArray().FirstOrDefault()
            ?? throw new ArgumentException($"--peer {url}: /v1/models lists no model");
        var meta = first["meta"];
        var props = await GetJsonAsync(http, "../props");
        string details = props is null ? ""
            : $", {props["total_slots"]} slots of {props["default_generation_settings"]?["n_ctx"]} tokens each, build `{props["build_info"]}`";
        return new PeerServer(cli.Get("peer-name", "peer"), v1, (string)first["id"]!, (long?)meta?["n_params"], (long?)meta?["size"], details);
    }

    public OpenAiHttpTarget Target() => new(Name, V1, Model);

    /// <summary>Fails unless the peer serves <paramref name="weights"/> (when it says what it serves: llama-server does).</summary>
    /// <exception cref="ArgumentException">The peer's parameter count or model size differs.</exception>
    public void CheckServes(LLamaWeights weights, string path)
    {
        if ((_numParams is { } n && n != (long)weights.ParameterCount) || (_sizeBytes is { } s && s != (long)weights.SizeInBytes))
            throw new ArgumentException($"{Name} serves `{Model}` ({_numParams:N0} parameters, {_sizeBytes:N0} bytes), not this run's model " +
                                        $"({weights.ParameterCount:N0} parameters, {weights.SizeInBytes:N0} bytes): start it with -m {path}");
    }

    // A JSON answer, or null when the server has no such endpoint.
    private static async Task<JsonNode?> GetJsonAsync(HttpClient http, string path)
    {
        using var response = (await BenchHttp.SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, path), CancellationToken.None)).Response;
        if (!response.IsSuccessStatusCode)
            return null;
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync());
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
