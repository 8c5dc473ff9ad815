using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Api.Tests.Tools;
using Microsoft.Playwright;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Reasoning and tool-call cards of the chat page in a real browser, on a generated model carrying Qwen3's real
/// template and special tokens. The page's extra request fields send tools and a grammar that makes the random-weights
/// model write reasoning, text and a Hermes call; the cards must show what the API returns for the same request, as
/// text, and the next turn must send the call back as tool_calls. Skipped when Chromium or ../shared is absent.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ChatPageCardTests(Qwen3ServerFixture fixture) : IClassFixture<Qwen3ServerFixture>
{
    // Long enough to be seen streaming; markup that must stay text.
    private static readonly string Reasoning =
        "The user asks about <b>the weather</b> in Paris. " + string.Join(' ', Enumerable.Repeat("I should call get_weather for the city and two days.", 6));
    private const string Arguments = """{"city": "<i>Paris</i>", "days": 2}""";
    private static readonly string Reply =
        $"<think>\n{Reasoning}\n</think>\n\nChecking the forecast.\n<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {Arguments}}}\n</tool_call>";

    // As JSON.stringify writes it (no escapes beyond JSON's own); with (value, null, 2), two-space indents.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new(Relaxed) { WriteIndented = true };

    private static readonly PageWaitForFunctionOptions Patience = new() { Timeout = 60_000, PollingInterval = 20 };

    [SkippableFact]
    public async Task Reasoning_streams_into_a_card_that_folds_and_the_call_shows_as_a_card_and_goes_back_as_tool_calls()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        fixture.SkipIfAbsent();
        var server = fixture.Server!;
        var extra = ExtraFields();
        var response = await server.ChatAsync(new JsonObject(extra.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())))
        {
            ["model"] = fixture.ModelId, ["max_tokens"] = 600,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
        });
        var expected = response["choices"]![0]!;
        var expectedMessage = expected["message"]!;
        var expectedCall = expectedMessage["tool_calls"]![0]!["function"]!;
        Assert.Equal("tool_calls", (string?)expected["finish_reason"]);
        Assert.Equal(Reasoning, (string?)expectedMessage["reasoning_content"]);

        await using var session = await PageSession.OpenAsync(server.BaseAddress, 1100, 800);
        var page = session.Page;
        await page.ClickAsync("#settings summary");
        await page.WaitForFunctionAsync("() => document.querySelector('#model').options.length > 0", null, Patience);
        await page.FillAsync("#max-tokens", "600");

        // Extra fields that are not a JSON object are refused before anything is sent.
        await page.FillAsync("#extra", "[1]");
        await page.FillAsync("#input", "Weather in Paris?");
        await page.PressAsync("#input", "Enter");
        Assert.Equal("Extra request fields must be a JSON object.", await page.InnerTextAsync("#notice"));
        Assert.Equal(0, await page.Locator(".message").CountAsync());

        await page.FillAsync("#extra", extra.ToJsonString(Relaxed));
        await page.PressAsync("#input", "Enter");

        // While the model thinks: the card is open and fills, nothing else is shown yet.
        await page.WaitForFunctionAsync(
            """
            () => !document.getElementById('stop').hidden && document.querySelector('.message.assistant details.reasoning')?.open
                  && document.querySelector('.message.assistant .reasoning-text').textContent.length > 0
                  && !document.querySelector('.message.assistant .tool-call')
                  && document.querySelector('.message.assistant .content').textContent === ''
            """, null, Patience);
        Assert.Equal("Thinking…", await page.InnerTextAsync(".message.assistant .reasoning summary"));

        await page.WaitForSelectorAsync(".message.assistant .stats", new() { Timeout = 60_000 });
        Assert.True(await page.IsHiddenAsync("#notice"));
        await AssertCardsAsync(page, response);

        // The card opens on a click; reasoning and arguments are text, their markup never elements.
        await page.ClickAsync(".message.assistant .reasoning summary");
        Assert.True(await page.IsVisibleAsync(".message.assistant .reasoning-text"));
        Assert.Equal(0, await page.Locator(".message.assistant .reasoning-text b, .message.assistant .tool-arguments i").CountAsync());
        await page.ClickAsync("#settings summary");
        await Chromium.ScreenshotAsync(page, "chat-tools");

        // The next turn sends the call back as tool_calls with its id, the reasoning as reasoning_content, never as content.
        string id = (await page.TextContentAsync(".message.assistant .tool-id"))!;
        Assert.StartsWith("call_", id);
        var request = await page.RunAndWaitForRequestAsync(async () =>
        {
            await page.FillAsync("#input", "And tomorrow?");
            await page.PressAsync("#input", "Enter");
        }, r => r.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal));
        var sent = JsonNode.Parse(request.PostData!)!["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], sent.Select(m => (string)m!["role"]!));
        var assistant = sent[1]!;
        Assert.Equal((string?)expectedMessage["content"], (string?)assistant["content"]);
        Assert.Equal(Reasoning, (string?)assistant["reasoning_content"]);
        var call = Assert.Single(assistant["tool_calls"]!.AsArray())!;
        Assert.Equal(id, (string?)call["id"]);
        Assert.Equal("function", (string?)call["type"]);
        Assert.Equal((string?)expectedCall["name"], (string?)call["function"]!["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse((string)expectedCall["arguments"]!), JsonNode.Parse((string)call["function"]!["arguments"]!)));

        // The server takes that history; after a reload both replies still show their cards.
        await page.WaitForSelectorAsync(".message.assistant:nth-of-type(4) .stats", new() { Timeout = 60_000 });
        Assert.Equal(0, await page.Locator(".message .error").CountAsync());
        await page.ReloadAsync();
        await page.WaitForSelectorAsync(".message.assistant:nth-of-type(4) .tool-call", new() { Timeout = 60_000 });
        Assert.Equal(2, await page.Locator(".message.assistant .reasoning").CountAsync());
        Assert.Equal(["get_weather", "get_weather"], await page.Locator(".tool-name").AllInnerTextsAsync());
    }

    private static async Task AssertCardsAsync(IPage page, JsonNode response)
    {
        var message = response["choices"]![0]!["message"]!;
        var function = message["tool_calls"]![0]!["function"]!;
        var reasoning = page.Locator(".message.assistant details.reasoning");
        Assert.False(await reasoning.EvaluateAsync<bool>("d => d.open"), "the reasoning card folds when the answer starts");
        Assert.Equal((string?)message["reasoning_content"], await page.TextContentAsync(".message.assistant .reasoning-text"));
        int tokens = (int)response["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!;
        Assert.InRange(tokens, 1, (int)response["usage"]!["completion_tokens"]! - 1);
        Assert.Equal($"Reasoning · {tokens} tokens", await page.InnerTextAsync(".message.assistant .reasoning summary"));
        Assert.Equal(((string?)message["content"])?.Trim(), (await page.InnerTextAsync(".message.assistant .content")).Trim());
        Assert.Equal(1, await page.Locator(".message.assistant .tool-call").CountAsync());
        Assert.Equal((string?)function["name"], await page.InnerTextAsync(".message.assistant .tool-name"));
        string pretty = JsonSerializer.Serialize(JsonNode.Parse((string)function["arguments"]!), Indented);
        Assert.Equal(pretty, await page.TextContentAsync(".message.assistant .tool-arguments"));
        Assert.Equal("finish_reason: tool_calls", await page.InnerTextAsync(".message.assistant .finish"));
    }

    /// <summary>
    /// What the page's Settings send besides its own fields: the tool, a grammar whose only sentence is
    /// <see cref="Reply"/>, and a bias that makes the marker special tokens (not their spelling) sampled.
    /// </summary>
    private JsonObject ExtraFields()
    {
        var markers = new[] { "<think>", "</think>", "<tool_call>", "</tool_call>" }.Where(m => fixture.Spec!.SpecialTokens.IdOf(m) is not null);
        var bias = new JsonObject();
        foreach (string marker in markers)
            bias[fixture.TokenId(marker).ToString()] = 100;
        return new JsonObject
        {
            ["tools"] = JsonSerializer.SerializeToNode(ToolCallingTests.WeatherTools),
            ["grammar"] = ToolCallingTests.Exactly(Reply),
            ["logit_bias"] = bias,
            ["temperature"] = 0,
        };
    }
}
