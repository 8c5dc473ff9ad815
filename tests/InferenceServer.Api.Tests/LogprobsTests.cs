using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Log probabilities end to end on the demo model (real llama.cpp, real Kestrel): the OpenAI shapes, the values'
/// invariants, stream against whole response, and the bytes of tokens against the text.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LogprobsTests(DemoServerFixture fixture)
{
    private static readonly object[] Messages =
        [new { role = "system", content = "Be brief." }, new { role = "user", content = "Say something about the world." }];

    // Byte-fallback token ids of the demo vocabulary (<0x00> is id 5): the three bytes of "€" (E2 82 AC).
    private const int ByteE2 = 5 + 0xE2, Byte82 = 5 + 0x82, ByteAc = 5 + 0xAC;

    private TestServer Server => fixture.Server;

    private object ChatBody(int maxTokens, double temperature, int? topLogprobs, bool stream = false, object? extra = null)
    {
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            model = fixture.ModelId, messages = Messages, max_tokens = maxTokens, temperature, logprobs = true, top_logprobs = topLogprobs,
            stream,
        }))!.AsObject();
        if (extra is not null)
            foreach (var (name, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra))!.AsObject())
                body[name] = value?.DeepClone();
        return body;
    }

    private static List<JsonNode> Entries(JsonNode choice) => choice["logprobs"]!["content"]!.AsArray().Select(e => e!).ToList();

    private static byte[] BytesOf(IEnumerable<JsonNode> entries) =>
        entries.SelectMany(e => e["bytes"]!.AsArray().Select(b => (byte)(int)b!)).ToArray();

    private static void AssertValid(string schema, string json)
    {
        var errors = OpenAiSchema.Validate(schema, json);
        Assert.True(errors.Count == 0, $"{schema} invalid:\n{string.Join('\n', errors.Take(10))}\n{json}");
    }

    // Each top list is sorted, holds the asked number of entries and at most all probability; at temperature 0 the
    // generated token is the first of its list.
    private static void AssertTopLists(List<JsonNode> entries, int numTop, bool greedy)
    {
        foreach (var entry in entries)
        {
            var top = entry["top_logprobs"]!.AsArray().Select(t => t!).ToList();
            Assert.Equal(numTop, top.Count);
            var values = top.Select(t => (double)t["logprob"]!).ToList();
            Assert.Equal(values.OrderDescending(), values);
            Assert.True(values.Sum(Math.Exp) <= 1 + 1e-6, $"top probabilities sum to {values.Sum(Math.Exp)}");
            Assert.True((double)entry["logprob"]! <= 0);
            if (!greedy)
                continue;
            Assert.Equal(values[0], (double)entry["logprob"]!);
            Assert.Equal((string?)top[0]["token"], (string?)entry["token"]);
            Assert.Equal(top[0]["bytes"]!.ToJsonString(), entry["bytes"]!.ToJsonString());
        }
    }

    [SkippableFact]
    public async Task Greedy_chat_logprobs_have_the_openai_shape_and_sound_top_lists()
    {
        using var response = await Server.PostAsync("v1/chat/completions", ChatBody(12, 0, 5));
        string json = await response.Content.ReadAsStringAsync();
        AssertValid("CreateChatCompletionResponse", json);

        var choice = JsonNode.Parse(json)!["choices"]![0]!;
        var entries = Entries(choice);
        Assert.Equal("length", (string?)choice["finish_reason"]);
        Assert.Equal(12, entries.Count);
        Assert.Null(choice["logprobs"]!["refusal"]);
        AssertTopLists(entries, 5, greedy: true);
        Assert.Equal((string)choice["message"]!["content"]!, Encoding.UTF8.GetString(BytesOf(entries)));
    }

    [SkippableFact]
    public async Task Stream_chunks_carry_their_own_tokens_and_agree_with_the_whole_response_to_the_bit()
    {
        var whole = await Server.ChatAsync(ChatBody(16, 0, 3));
        var events = await Server.StreamAsync("v1/chat/completions", ChatBody(16, 0, 3, stream: true));

        var streamed = new List<JsonNode>();
        foreach (string chunk in events[..^1])
        {
            AssertValid("CreateChatCompletionStreamResponse", chunk);
            var choice = JsonNode.Parse(chunk)!["choices"]![0]!;
            string text = (string?)choice["delta"]!["content"] ?? "";
            if (choice["logprobs"] is null)
            {
                Assert.Equal("", text);
                continue;
            }
            var entries = Entries(choice);
            Assert.Equal(text, Encoding.UTF8.GetString(BytesOf(entries)));
            streamed.AddRange(entries);
        }
        Assert.Equal(whole["choices"]![0]!["logprobs"]!["content"]!.ToJsonString(),
            new JsonArray([.. streamed.Select(e => e.DeepClone())]).ToJsonString());
    }

    [SkippableFact]
    public async Task Bytes_of_byte_fallback_tokens_reassemble_a_character_split_across_tokens()
    {
        // Only the three bytes of "€" are likely; some seed draws them in order.
        var bias = new Dictionary<string, int> { [$"{ByteE2}"] = 100, [$"{Byte82}"] = 100, [$"{ByteAc}"] = 100 };
        for (int seed = 1; seed <= 40; seed++)
        {
            var response = await Server.ChatAsync(ChatBody(24, 1, 0, extra: new { seed, logit_bias = bias }));
            var choice = response["choices"]![0]!;
            string content = (string)choice["message"]!["content"]!;
            var entries = Entries(choice);
            Assert.Equal(content, Encoding.UTF8.GetString(BytesOf(entries)));
            int at = content.IndexOf('€');
            if (at < 0)
                continue;
            var tokens = entries.Select(e => (string)e["token"]!).ToList();
            var window = Enumerable.Range(0, tokens.Count - 2).First(i =>
                tokens[i] == @"bytes:\xe2" && tokens[i + 1] == @"bytes:\x82" && tokens[i + 2] == @"bytes:\xac");
            Assert.Equal([0xE2], entries[window]["bytes"]!.AsArray().Select(b => (int)b!));
            return;
        }
        Assert.Fail("No seed drew a whole '€'.");
    }

    [SkippableFact]
    public async Task Values_are_raw_logits_before_bias_penalties_and_temperature()
    {
        var greedy = await Server.ChatAsync(ChatBody(1, 0, 5));
        var shaped = await Server.ChatAsync(ChatBody(1, 1.5, 5, extra: new
        {
            seed = 9, presence_penalty = 1.5, logit_bias = new Dictionary<string, int> { [$"{ByteE2}"] = 100 },
        }));

        var greedyFirst = Entries(greedy["choices"]![0]!)[0];
        var shapedFirst = Entries(shaped["choices"]![0]!)[0];
        // Same prompt, same position: the raw distribution is the same whatever the sampler does with it.
        Assert.Equal(greedyFirst["top_logprobs"]!.ToJsonString(), shapedFirst["top_logprobs"]!.ToJsonString());
        Assert.Equal(@"bytes:\xe2", (string?)shapedFirst["token"]);
        Assert.True((double)shapedFirst["logprob"]! < (double)greedyFirst["top_logprobs"]![4]!["logprob"]!,
            "the biased token's raw logprob is outside the raw top 5");
    }

    [SkippableFact]
    public async Task Every_choice_of_n_carries_its_own_logprobs()
    {
        var sampled = await Server.ChatAsync(ChatBody(8, 1, 2, extra: new { n = 2, seed = 3 }));
        var greedy = await Server.ChatAsync(ChatBody(8, 0, 2, extra: new { n = 2 }));

        foreach (var choice in sampled["choices"]!.AsArray())
        {
            var entries = Entries(choice!);
            Assert.Equal((string)choice!["message"]!["content"]!, Encoding.UTF8.GetString(BytesOf(entries)));
            AssertTopLists(entries, 2, greedy: false);
        }
        Assert.NotEqual(sampled["choices"]![0]!["logprobs"]!.ToJsonString(), sampled["choices"]![1]!["logprobs"]!.ToJsonString());
        Assert.Equal(greedy["choices"]![0]!["logprobs"]!.ToJsonString(), greedy["choices"]![1]!["logprobs"]!.ToJsonString());
        AssertTopLists(Entries(greedy["choices"]![0]!), 2, greedy: true);
    }

    [SkippableFact]
    public async Task Without_logprobs_the_field_is_null_and_zero_top_logprobs_lists_none()
    {
        var plain = await Server.ChatAsync(new { model = fixture.ModelId, messages = Messages, max_tokens = 3, temperature = 0 });
        Assert.Null(plain["choices"]![0]!["logprobs"]);

        var bare = await Server.ChatAsync(ChatBody(3, 0, null));
        var entries = Entries(bare["choices"]![0]!);
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.Empty(e["top_logprobs"]!.AsArray()));
    }

    [SkippableFact]
    public async Task Completions_return_the_legacy_object_streamed_and_whole()
    {
        var body = new { model = fixture.ModelId, prompt = "Once upon a time", max_tokens = 10, temperature = 0, logprobs = 3 };
        using var response = await Server.PostAsync("v1/completions", body);
        string json = await response.Content.ReadAsStringAsync();
        AssertValid("CreateCompletionResponse", json);
        var choice = JsonNode.Parse(json)!["choices"]![0]!;
        var logprobs = choice["logprobs"]!;
        var tokens = logprobs["tokens"]!.AsArray().Select(t => (string)t!).ToList();
        var values = logprobs["token_logprobs"]!.AsArray().Select(v => (double)v!).ToList();
        var offsets = logprobs["text_offset"]!.AsArray().Select(o => (int)o!).ToList();
        var tops = logprobs["top_logprobs"]!.AsArray().Select(t => t!.AsObject()).ToList();

        Assert.Equal(10, tokens.Count);
        Assert.Equal([tokens.Count, tokens.Count, tokens.Count], new[] { values.Count, offsets.Count, tops.Count });
        Assert.DoesNotContain(tokens, t => t.StartsWith("bytes:"));
        Assert.Equal((string)choice["text"]!, string.Concat(tokens));
        for (int i = 0; i < tokens.Count; i++)
        {
            Assert.Equal(string.Concat(tokens.Take(i)).EnumerateRunes().Count(), offsets[i]);
            Assert.InRange(tops[i].Count, 1, 3);
            Assert.Equal(tops[i].Max(kv => (double)kv.Value!), values[i]);
        }

        var events = await Server.StreamAsync("v1/completions", new
        {
            model = fixture.ModelId, prompt = "Once upon a time", max_tokens = 10, temperature = 0, logprobs = 3, stream = true,
        });
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!["choices"]![0]!["logprobs"]).Where(l => l is not null).ToList();
        foreach (string field in (string[])["tokens", "token_logprobs", "text_offset", "top_logprobs"])
            Assert.Equal(logprobs[field]!.ToJsonString(),
                new JsonArray([.. chunks.SelectMany(c => c![field]!.AsArray()).Select(n => n?.DeepClone())]).ToJsonString());
    }

    [Fact]
    public async Task Completions_top_logprobs_always_hold_the_sampled_token()
    {
        var body = new { model = fixture.ModelId, prompt = "Once upon a time", max_tokens = 12, temperature = 1.5, seed = 3, logprobs = 0 };
        var logprobs = JsonNode.Parse(await (await Server.PostAsync("v1/completions", body)).Content.ReadAsStringAsync())!["choices"]![0]!["logprobs"]!;
        var tokens = logprobs["tokens"]!.AsArray().Select(t => (string)t!).ToList();
        var values = logprobs["token_logprobs"]!.AsArray().Select(v => (float)v!).ToList();
        var tops = logprobs["top_logprobs"]!.AsArray().Select(t => t!.AsObject()).ToList();

        Assert.Equal(12, tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
            Assert.Equal([(tokens[i], values[i])], tops[i].Select(kv => (kv.Key, (float)kv.Value!)));
    }

    [SkippableFact]
    public async Task Stop_strings_keep_the_tokens_before_the_cut()
    {
        var whole = await Server.ChatAsync(ChatBody(12, 0, 1));
        string content = (string)whole["choices"]![0]!["message"]!["content"]!;
        string stop = content.Substring(content.Length / 2, 2);
        int cut = content.IndexOf(stop, StringComparison.Ordinal);

        var stopped = await Server.ChatAsync(ChatBody(12, 0, 1, extra: new { stop }));
        var choice = stopped["choices"]![0]!;
        Assert.Equal(content[..cut], (string)choice["message"]!["content"]!);
        // The tokens listed cover the sent text and end with the one that crosses the cut (if any).
        byte[] bytes = BytesOf(Entries(choice));
        string listed = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith(content[..cut], listed);
        Assert.StartsWith(listed, content);
        var lastEntryText = Encoding.UTF8.GetString(BytesOf(Entries(choice).TakeLast(1)));
        Assert.True(listed.Length - lastEntryText.Length < cut || cut == 0);
    }

    [Fact]
    public async Task The_openai_sdk_reads_the_token_logprobs_streamed_and_whole()
    {
        var client = new ChatClient(fixture.ModelId, new ApiKeyCredential("not-needed"),
            new OpenAIClientOptions { Endpoint = new Uri(Server.BaseAddress, "v1") });
        OpenAI.Chat.ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Say something about the world.")];
        ChatCompletionOptions Options() => new()
        {
            Temperature = 0, MaxOutputTokenCount = 10, IncludeLogProbabilities = true, TopLogProbabilityCount = 4,
        };

        ChatCompletion whole = await client.CompleteChatAsync(messages, Options());
        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in client.CompleteChatStreamingAsync(messages, Options()))
            streamed.AddRange(update.ContentTokenLogProbabilities);

        var details = whole.ContentTokenLogProbabilities;
        Assert.Equal(10, details.Count);
        Assert.Equal(whole.Content[0].Text, Encoding.UTF8.GetString(details.SelectMany(d => d.Utf8Bytes is { } b ? b.ToArray() : []).ToArray()));
        foreach (var d in details)
        {
            Assert.Equal(4, d.TopLogProbabilities.Count);
            Assert.Equal(d.TopLogProbabilities[0].LogProbability, d.LogProbability);
            Assert.Equal(d.TopLogProbabilities[0].Token, d.Token);
        }
        Assert.Equal(details.Select(d => (d.Token, d.LogProbability)), streamed.Select(d => (d.Token, d.LogProbability)));
    }
}
