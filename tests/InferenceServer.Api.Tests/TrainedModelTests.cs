using System.Text.RegularExpressions;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>The server on a real trained model, ../shared/models/stories260K.gguf (skipped when absent).</summary>
[Collection(ServerCollection.Name)]
public sealed class TrainedModelTests
{
    private static readonly HashSet<string> CommonWords =
        ["the", "a", "was", "and", "she", "he", "there", "little", "to", "of", "her", "his", "they", "in", "it", "with", "named", "day", "girl", "boy"];

    [SkippableFact]
    public async Task Greedy_completion_of_once_upon_a_time_is_english()
    {
        string? path = SharedFiles.Find("models/stories260K.gguf");
        Skip.If(path is null, "../shared/models/stories260K.gguf is not present");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = path });
        Assert.Equal("stories260K", server.Model.ModelId);

        using var response = await server.PostAsync("v1/completions",
            new { model = "stories260K", prompt = "Once upon a time", max_tokens = 48, temperature = 0 });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        string text = (string)System.Text.Json.Nodes.JsonNode.Parse(body)!["choices"]![0]!["text"]!;

        var words = Regex.Matches(text.ToLowerInvariant(), "[a-z]+").Select(m => m.Value).ToList();
        Assert.True(words.Count >= 20, $"too few words: {text}");
        Assert.True(words.Count(CommonWords.Contains) >= 5, $"not English-like: {text}");
        Assert.True(words.Distinct().Count() >= 8, $"degenerate: {text}");

        // The model has no chat template: chat uses the documented plain fallback and still answers.
        var chat = await server.ChatAsync(new
        {
            model = "stories260K", messages = new[] { new { role = "user", content = "Tell me a story." } }, max_tokens = 8, temperature = 0,
        });
        Assert.Equal(8, (int)chat["usage"]!["completion_tokens"]!);
        Assert.False(server.Model.Chat.UsesModelTemplate);
    }
}
