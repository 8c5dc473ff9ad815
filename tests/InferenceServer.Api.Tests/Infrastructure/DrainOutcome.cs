using System.Text.Json.Nodes;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>What a drain must leave: a new request refused as shutting down, a short stream finished, an endless one cancelled.</summary>
internal static class DrainOutcome
{
    /// <summary>Asserts the three outcomes; returns the cancelled stream's events.</summary>
    public static async Task<List<string>> AssertAsync(HttpResponseMessage refused, Task<List<string>> shortOne, Task<List<string>> endless)
    {
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("shutting_down", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]);

        var finished = await shortOne;
        Assert.Equal("[DONE]", finished[^1]);
        Assert.Equal("length", (string?)JsonNode.Parse(finished[^2])!["choices"]![0]!["finish_reason"]);

        var cancelled = await endless;
        Assert.Equal("[DONE]", cancelled[^1]);
        Assert.Equal("cancelled", (string?)JsonNode.Parse(cancelled[^2])!["error"]?["code"]);
        return cancelled;
    }
}
