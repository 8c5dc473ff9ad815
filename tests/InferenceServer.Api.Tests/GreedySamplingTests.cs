using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>Temperature edge cases through llama.cpp's real sampler.</summary>
[Collection(ServerCollection.Name)]
public sealed class GreedySamplingTests(DemoServerFixture fixture)
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
}
