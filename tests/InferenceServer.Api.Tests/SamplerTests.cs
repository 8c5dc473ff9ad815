using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>Requests whose result depends on llama.cpp's real sampler: temperature edge cases, logit bias onto byte tokens.</summary>
[Collection(ServerCollection.Name)]
public sealed class SamplerTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private const string Model = "inference-server-demo";

    [Fact]
    public async Task A_vanishingly_small_temperature_is_greedy_not_garbage()
    {
        async Task<string> Text(double temperature)
        {
            using var r = await Server.PostAsync("v1/completions", new { model = Model, prompt = "The people", max_tokens = 8, temperature });
            return (string)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["text"]!;
        }
        string greedy = await Text(0);
        Assert.Equal(greedy, await Text(1e-40));
        Assert.Equal(greedy, await Text(1e-6));
    }

    [Fact]
    public async Task Bytes_that_never_form_a_character_arrive_as_replacement_characters()
    {
        // Bias the model onto the byte token for 0xE4 (a 3-byte UTF-8 lead): repeated, it never completes.
        var tokenizer = Server.Model.Tokenizer;
        int byteToken = Enumerable.Range(0, tokenizer.VocabSize).Single(t => tokenizer.TokenBytes(t) is [0xE4]);
        var events = await Server.StreamAsync("v1/completions", new
        {
            model = fixture.ModelId, prompt = "x", max_tokens = 5, temperature = 0, stream = true,
            logit_bias = new Dictionary<string, int> { [byteToken.ToString()] = 100 },
        });

        var pieces = events[..^1].Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["text"]!).ToList();
        Assert.Equal(new string('\uFFFD', 5), string.Concat(pieces));
    }
}
