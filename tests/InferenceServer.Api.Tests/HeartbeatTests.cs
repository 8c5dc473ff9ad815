using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Keep-alive comments while a stream waits for its first token. With one sequence slot, the request under test
/// waits in the queue behind a long ignore_eos request until the test cancels that one, so the wait lasts as long as
/// the test needs on any machine; heartbeats come every 100 ms. On the fake model (see <see cref="ContractCollection"/>).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class HeartbeatTests
{
    private const string KeepAlive = ": keep-alive";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // 10 ms a step: the blocking request's 4000 tokens take 40 s, so it is surely still running when the test cancels it.
    private static Task<TestServer> StartAsync(string heartbeat = "00:00:00.100") => TestServer.StartFakeAsync(new Dictionary<string, string?>
    {
        ["Engine:MaxSequences"] = "1", ["Engine:NumBlocks"] = "256", ["Server:SseHeartbeat"] = heartbeat,
    }, stepDelay: TimeSpan.FromMilliseconds(10));

    private static object Body(TestServer server, string path, bool stream) => path.Contains("chat")
        ? new { model = server.ModelId, messages = new[] { new { role = "user", content = "Tell me a story." } }, temperature = 0, max_tokens = 8, stream }
        : new { model = server.ModelId, prompt = "The people of the world", temperature = 0, max_tokens = 8, stream };

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("v1/completions")]
    public async Task A_queued_stream_sends_its_headers_at_once_and_keep_alives_until_its_first_token(string path)
    {
        await using var server = await StartAsync();
        bool chat = path.Contains("chat");
        using var whole = await server.PostAsync(path, Body(server, path, stream: false));
        var wholeChoice = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!["choices"]![0]!;
        string expected = (string)(chat ? wholeChoice["message"]!["content"] : wholeChoice["text"])!;

        using var blocker = new CancellationTokenSource();
        var blocking = BlockAsync(server, blocker.Token);
        await WaitFor(() => server.Engine.Stats.NumRunning == 1);

        using var response = await server.PostAsync(path, Body(server, path, stream: true), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        // The headers came while the request still waits for admission, so before any token.
        await WaitFor(() => server.Engine.Stats.NumWaiting == 1);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (lines.Count(l => l == KeepAlive) < 2)
            lines.Add(await ReadLineAsync(reader) ?? throw new InvalidOperationException("the stream ended:\n" + string.Join('\n', lines)));
        Assert.Equal(1, server.Engine.Stats.NumWaiting);
        var early = DataOf(lines);
        if (chat)
        {
            // Chat's first event, the role chunk, is sent at once and carries no text.
            var delta = JsonNode.Parse(Assert.Single(early))!["choices"]![0]!["delta"]!;
            Assert.Equal("assistant", (string?)delta["role"]);
            Assert.Equal("", (string?)delta["content"]);
        }
        else
            Assert.Empty(early);

        await blocker.CancelAsync();
        await blocking;
        while (await ReadLineAsync(reader) is { } line)
            lines.Add(line);

        Assert.All(lines.Select((l, i) => (l, i)).Where(x => x.l == KeepAlive), x => Assert.Equal("", lines[x.i + 1]));
        var events = DataOf(lines);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!["choices"]![0]!).ToList();
        Assert.Equal("length", (string?)chunks[^1]["finish_reason"]);
        Assert.Equal(expected, string.Concat(chunks.Select(c => (string?)(chat ? c["delta"]!["content"] : c["text"]) ?? "")));
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("v1/completions")]
    public async Task Without_heartbeats_a_queued_stream_still_sends_its_headers_at_once(string path)
    {
        await using var server = await StartAsync(heartbeat: "0");
        using var blocker = new CancellationTokenSource();
        var blocking = BlockAsync(server, blocker.Token);
        await WaitFor(() => server.Engine.Stats.NumRunning == 1);

        using var response = await server.PostAsync(path, Body(server, path, stream: true), HttpCompletionOption.ResponseHeadersRead)
            .WaitAsync(Patience);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await WaitFor(() => server.Engine.Stats.NumWaiting == 1);

        await blocker.CancelAsync();
        await blocking;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (await ReadLineAsync(reader) is { } line)
            lines.Add(line);
        Assert.DoesNotContain(KeepAlive, lines);
        Assert.Equal("[DONE]", DataOf(lines)[^1]);
    }

    [Fact]
    public async Task The_openai_sdk_reads_a_stream_with_keep_alives_as_the_whole_text()
    {
        await using var server = await StartAsync();
        var recorder = new RecordingHandler();
        var chat = new ChatClient(server.ModelId, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.BaseAddress, "v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(recorder)),
        });
        ChatMessage[] messages = [new UserChatMessage("Say something about the world.")];
        ChatCompletionOptions Options() => new() { Temperature = 0, MaxOutputTokenCount = 8 };
        ChatCompletion whole = await chat.CompleteChatAsync(messages, Options());

        using var blocker = new CancellationTokenSource();
        var blocking = BlockAsync(server, blocker.Token);
        await WaitFor(() => server.Engine.Stats.NumRunning == 1);
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        var streaming = Task.Run(async () =>
        {
            await foreach (var update in chat.CompleteChatStreamingAsync(messages, Options()))
            {
                foreach (var part in update.ContentUpdate)
                    text.Append(part.Text);
                finish ??= update.FinishReason;
            }
        });
        await WaitFor(() => recorder.Text.Contains(KeepAlive + "\n\n"), Patience);
        Assert.Equal(1, server.Engine.Stats.NumWaiting);

        await blocker.CancelAsync();
        await blocking;
        await streaming.WaitAsync(Patience);

        Assert.False(string.IsNullOrEmpty(whole.Content[0].Text));
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Contains("data: [DONE]", recorder.Text);
    }

    /// <summary>Streams a 4000-token ignore_eos completion, holding the only sequence slot until cancelled.</summary>
    private static async Task BlockAsync(TestServer server, CancellationToken cancellationToken)
    {
        var body = new { model = server.ModelId, prompt = "Once upon a time", max_tokens = 4000, ignore_eos = true, stream = true };
        try
        {
            using var response = await server.PostAsync("v1/completions", body, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await SseReader.ReadAllAsync(response, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static List<string> DataOf(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("data: ")).Select(l => l["data: ".Length..]).ToList();

    private static async Task<string?> ReadLineAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await reader.ReadLineAsync(timeout.Token);
    }

    private static Task WaitFor(Func<bool> condition, TimeSpan? limit = null) =>
        Poll.UntilAsync(condition, limit ?? TimeSpan.FromSeconds(10), "condition not met in time", TimeSpan.FromMilliseconds(5));
}
