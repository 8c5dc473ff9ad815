using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>OpenAI <c>n</c>: several choices from one prompt prefill.</summary>
[Collection(ServerCollection.Name)]
public sealed class ParallelSamplesTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private object Chat(int n, double temperature, int? seed = null, bool stream = false, string[]? stop = null) => new
    {
        model = fixture.ModelId,
        messages = new[] { new { role = "user", content = "Name three things about the world and its people." } },
        n, temperature, seed, max_tokens = 12, stream, ignore_eos = true, stop,
        stream_options = stream ? new { include_usage = true } : null,
    };

    private static List<string> Contents(JsonNode response) =>
        response["choices"]!.AsArray().Select(c => (string)c!["message"]!["content"]!).ToList();

    [Fact]
    public async Task At_temperature_zero_all_choices_are_identical_and_the_prompt_counts_once()
    {
        var one = await Server.ChatAsync(Chat(1, 0));
        var three = await Server.ChatAsync(Chat(3, 0));

        Assert.Equal([0, 1, 2], three["choices"]!.AsArray().Select(c => (int)c!["index"]!));
        Assert.All(Contents(three), c => Assert.Equal(Contents(one)[0], c));
        Assert.Equal((int)one["usage"]!["prompt_tokens"]!, (int)three["usage"]!["prompt_tokens"]!);
        Assert.Equal(36, (int)three["usage"]!["completion_tokens"]!);
        Assert.All(three["choices"]!.AsArray(), c => Assert.Equal("length", (string)c!["finish_reason"]!));
    }

    [Fact]
    public async Task With_a_seed_choices_differ_from_each_other_and_repeat_exactly()
    {
        var first = Contents(await Server.ChatAsync(Chat(4, 1.0, seed: 77)));
        var again = Contents(await Server.ChatAsync(Chat(4, 1.0, seed: 77)));

        Assert.Equal(first, again);
        Assert.Equal(4, first.Distinct().Count());
    }

    [Fact]
    public async Task Streamed_choices_carry_their_index_and_match_the_whole_response()
    {
        var whole = Contents(await Server.ChatAsync(Chat(2, 1.0, seed: 5)));
        var events = await Server.StreamAsync("v1/chat/completions", Chat(2, 1.0, seed: 5, stream: true));

        Assert.Equal("[DONE]", events[^1]);
        var choices = events[..^1].SelectMany(e => JsonNode.Parse(e)!["choices"]!.AsArray()).ToList();
        Assert.Equal(2, choices.Count(c => (string?)c!["delta"]!["role"] == "assistant"));
        Assert.Equal(2, choices.Count(c => (string?)c!["finish_reason"] == "length"));
        for (int i = 0; i < 2; i++)
        {
            string streamed = string.Concat(choices.Where(c => (int)c!["index"]! == i).Select(c => (string?)c!["delta"]!["content"] ?? ""));
            Assert.Equal(whole[i], streamed);
        }
    }

    [Fact]
    public async Task Completions_accept_n_too()
    {
        using var response = await Server.PostAsync("v1/completions",
            new { model = fixture.ModelId, prompt = "The people of the world", n = 2, max_tokens = 6, temperature = 0 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var texts = body["choices"]!.AsArray().Select(c => (string)c!["text"]!).ToList();
        Assert.Equal(2, texts.Count);
        Assert.Equal(texts[0], texts[1]);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_string_ends_only_its_own_choice_while_the_other_runs_on(bool stream)
    {
        var reference = Contents(await Server.ChatAsync(Chat(2, 1.0, seed: 5)));
        // The earliest three characters of choice 0 that choice 1 never writes: choice 0 stops steps before choice 1 ends.
        string stop = Enumerable.Range(1, reference[0].Length / 2).Select(i => reference[0].Substring(i, 3))
            .First(s => !reference[1].Contains(s, StringComparison.Ordinal));
        string expected = reference[0][..reference[0].IndexOf(stop, StringComparison.Ordinal)];

        List<string> contents;
        List<string> finishReasons;
        int completionTokens;
        if (stream)
        {
            var events = await Server.StreamAsync("v1/chat/completions", Chat(2, 1.0, seed: 5, stream: true, stop: [stop]));
            Assert.Equal("[DONE]", events[^1]);
            var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
            Assert.All(chunks, c => Assert.Null(c["error"]));
            var choices = chunks.SelectMany(c => c["choices"]!.AsArray()).ToList();
            contents = [.. Enumerable.Range(0, 2).Select(i =>
                string.Concat(choices.Where(c => (int)c!["index"]! == i).Select(c => (string?)c!["delta"]!["content"] ?? "")))];
            finishReasons = [.. Enumerable.Range(0, 2).Select(i =>
                Assert.Single(choices, c => (int)c!["index"]! == i && c["finish_reason"] is not null)!["finish_reason"]!.GetValue<string>())];
            // Nothing of a choice follows its finish chunk.
            int end0 = choices.FindIndex(c => (int)c!["index"]! == 0 && c["finish_reason"] is not null);
            Assert.DoesNotContain(choices.Skip(end0 + 1), c => (int)c!["index"]! == 0);
            completionTokens = (int)chunks[^1]["usage"]!["completion_tokens"]!;
        }
        else
        {
            var whole = await Server.ChatAsync(Chat(2, 1.0, seed: 5, stop: [stop]));
            contents = Contents(whole);
            finishReasons = [.. whole["choices"]!.AsArray().Select(c => (string)c!["finish_reason"]!)];
            completionTokens = (int)whole["usage"]!["completion_tokens"]!;
        }

        Assert.Equal([expected, reference[1]], contents);
        Assert.Equal(["stop", "length"], finishReasons);
        // Choice 1 ran all its 12 tokens; choice 0 counts those up to the one that completed the stop string.
        Assert.InRange(completionTokens, 13, 23);
    }
}
