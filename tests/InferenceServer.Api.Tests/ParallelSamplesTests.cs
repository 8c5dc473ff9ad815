using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>OpenAI <c>n</c>: several choices from one prompt prefill.</summary>
[Collection(ServerCollection.Name)]
public sealed class ParallelSamplesTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private object Chat(int n, double temperature, int? seed = null, bool stream = false) => new
    {
        model = fixture.ModelId,
        messages = new[] { new { role = "user", content = "Name three things about the world and its people." } },
        n, temperature, seed, max_tokens = 12, stream, ignore_eos = true,
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
}
