using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Api.Tests.Tools;
using Microsoft.Playwright;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Reasoning and tool-call cards of the chat page in a real browser, on generated models carrying Qwen3's and
/// Qwen2.5's real templates and special tokens. The page's extra request fields send tools and a grammar that makes
/// the random-weights model write reasoning, text and Hermes calls; the cards must show what the API returns for the
/// same request, as text, and the next turn must send the calls back as tool_calls. Skipped when Chromium or
/// ../shared is absent.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ChatPageCardTests(Qwen3ServerFixture fixture, Qwen25ServerFixture qwen25)
    : IClassFixture<Qwen3ServerFixture>, IClassFixture<Qwen25ServerFixture>
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
        var extra = ExtraFields(fixture, Reply);
        var response = await ReferenceAsync(fixture, extra);
        var expected = response["choices"]![0]!;
        var expectedMessage = expected["message"]!;
        var expectedCall = expectedMessage["tool_calls"]![0]!["function"]!;
        Assert.Equal("tool_calls", (string?)expected["finish_reason"]);
        Assert.Equal(Reasoning, (string?)expectedMessage["reasoning_content"]);

        await using var session = await OpenAsync(server);
        var page = session.Page;

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

    [SkippableFact]
    public async Task Parallel_calls_fill_their_cards_while_the_arguments_stream()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        qwen25.SkipIfAbsent();
        // A long first argument keeps the stream inside the first call long enough to be seen.
        string city = string.Join(' ', Enumerable.Repeat("Paris", 80));
        string reply = $"<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {{\"city\": \"{city}\"}}}}\n</tool_call>\n" +
                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}}\n</tool_call>";
        var extra = ExtraFields(qwen25, reply);
        var response = await ReferenceAsync(qwen25, extra);
        var calls = response["choices"]![0]!["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(2, calls.Count);
        await using var session = await OpenAsync(qwen25.Server!);
        var page = session.Page;

        await page.FillAsync("#extra", extra.ToJsonString(Relaxed));
        await page.FillAsync("#input", "Weather in Paris?");
        await page.PressAsync("#input", "Enter");

        // Mid-stream: the first card shows its name and the argument text so far.
        await page.WaitForFunctionAsync(
            """
            () => { const args = document.querySelector('.message.assistant .tool-arguments');
                    return !document.getElementById('stop').hidden && args && args.textContent.startsWith('{"city": "Paris Paris')
                           && document.querySelector('.message.assistant .tool-name').textContent === 'get_weather'; }
            """, null, Patience);
        await page.WaitForSelectorAsync(".message.assistant .stats", new() { Timeout = 60_000 });

        Assert.Equal(0, await page.Locator(".message.assistant .reasoning").CountAsync());
        Assert.False(await page.IsVisibleAsync(".message.assistant .content"), "a reply of only calls has no text to show");
        Assert.Equal(calls.Select(c => (string)c!["function"]!["name"]!), await page.Locator(".tool-name").AllInnerTextsAsync());
        var ids = await page.Locator(".tool-id").AllInnerTextsAsync();
        Assert.All(ids, id => Assert.StartsWith("call_", id));
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(
            calls.Select(c => JsonSerializer.Serialize(JsonNode.Parse((string)c!["function"]!["arguments"]!), Indented)),
            await page.Locator(".tool-arguments").AllTextContentsAsync());
        Assert.Equal("finish_reason: tool_calls", await page.InnerTextAsync(".message.assistant .finish"));

        // Cards fit a 375 px screen: long arguments and ids wrap.
        await page.SetViewportSizeAsync(375, 740);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 375"), "the page scrolls sideways at 375 px");
        await Chromium.ScreenshotAsync(page, "chat-tools-375px");
    }

    private static async Task<PageSession> OpenAsync(TestServer server)
    {
        var session = await PageSession.OpenAsync(server.BaseAddress, 1100, 800);
        await session.Page.ClickAsync("#settings summary");
        await session.Page.WaitForFunctionAsync("() => document.querySelector('#model').options.length > 0", null, Patience);
        await session.Page.FillAsync("#max-tokens", "600");
        return session;
    }

    /// <summary>The API's whole (not streamed) answer to the first request the page makes with <paramref name="extra"/>.</summary>
    private static Task<JsonNode> ReferenceAsync(TemplateModelServerFixture model, JsonObject extra) =>
        model.Server!.ChatAsync(new JsonObject(extra.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())))
        {
            ["model"] = model.ModelId, ["max_tokens"] = 600,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
        });

    /// <summary>
    /// What the page's Settings send besides its own fields: the tool, a grammar whose only sentence is
    /// <paramref name="reply"/>, and a bias that makes the marker special tokens (not their spelling) sampled.
    /// </summary>
    private static JsonObject ExtraFields(TemplateModelServerFixture model, string reply)
    {
        var markers = new[] { "<think>", "</think>", "<tool_call>", "</tool_call>" }.Where(m => model.Spec!.SpecialTokens.IdOf(m) is not null);
        var bias = new JsonObject();
        foreach (string marker in markers)
            bias[model.TokenId(marker).ToString()] = 100;
        return new JsonObject
        {
            ["tools"] = JsonSerializer.SerializeToNode(ToolCallingTests.WeatherTools),
            ["grammar"] = ToolCallingTests.Exactly(reply),
            ["logit_bias"] = bias,
            ["temperature"] = 0,
        };
    }
}
