using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Microsoft.Playwright;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The chat page at <c>/</c> in a real browser against the real server: streaming, Stop, reload, errors, API keys, a
/// 375 px screen. Long replies use ignore_eos with max tokens near the context so a request is surely still running
/// when the test looks; every wait is on a condition. Skipped when Chromium is absent.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ChatPageTests(DemoServerFixture fixture)
{
    private const string LongReplyTokens = "3900";
    private TestServer Server => fixture.Server;

    [SkippableFact]
    public async Task A_message_streams_a_reply_with_its_stats_and_the_conversation_survives_a_reload()
    {
        await using var session = await OpenForLongRepliesAsync();
        var page = session.Page;

        // Shift+Enter makes a new line; Enter sends.
        await page.FocusAsync("#input");
        await page.Keyboard.TypeAsync("Write a haiku");
        await page.Keyboard.PressAsync("Shift+Enter");
        await page.Keyboard.TypeAsync("about caches");
        Assert.Equal("Write a haiku\nabout caches", await page.InputValueAsync("#input"));
        Assert.Equal(0, await page.Locator(".message").CountAsync());
        await page.Keyboard.PressAsync("Enter");

        // Streamed: text shows while the request still runs (a long reply, stopped here).
        await page.WaitForFunctionAsync(
            "() => document.querySelector('.message.assistant .content')?.textContent.length > 0 && !document.getElementById('stop').hidden", null, FunctionPatience);
        Assert.Equal("Write a haiku\nabout caches", await page.InnerTextAsync(".message.user .content"));
        await page.ClickAsync("#stop");
        await page.WaitForSelectorAsync(".message.assistant .stats", Patience);

        // The next turn repeats the conversation's start, which the prefix cache serves.
        await SetAsync(page, maxTokens: "60", ignoreEos: true);
        await page.FillAsync("#input", "Another, please.");
        await page.PressAsync("#input", "Enter");
        await page.WaitForSelectorAsync(".message.assistant:nth-of-type(4) .stats", Patience);
        string stats = await page.InnerTextAsync(".message.assistant:nth-of-type(4) .stats");
        Assert.Matches(@"^60 tokens · [0-9.]+ tok/s · TTFT \d+ ms · [1-9]\d* of \d+ prompt tokens cached$", stats);
        // The finished reply is Markdown rendered by the server: elements (a paragraph, heading, list… whatever the random
        // text makes), where a streaming reply is a bare text node.
        await page.WaitForFunctionAsync(
            "() => document.querySelector('.message.assistant:nth-of-type(4) .content')?.children.length > 0", null, FunctionPatience);
        string reply = await page.InnerTextAsync(".message.assistant:nth-of-type(4) .content");
        Assert.False(string.IsNullOrWhiteSpace(reply));
        await page.ClickAsync("#settings summary");
        await Chromium.ScreenshotAsync(page, "chat");

        await page.ReloadAsync();

        await page.WaitForSelectorAsync(".message.assistant .stats", Patience);
        Assert.Equal(["Write a haiku"], await page.Locator("#conversations .open").AllInnerTextsAsync());
        Assert.Equal(reply, await page.InnerTextAsync(".message.assistant:nth-of-type(4) .content"));
        Assert.Equal(4, await page.Locator(".message").CountAsync());
        Assert.Equal("60", await page.InputValueAsync("#max-tokens"));

        // A second conversation, then deleting the first leaves only the second.
        await page.ClickAsync("#new-chat");
        await page.FillAsync("#input", "Second");
        await page.PressAsync("#input", "Enter");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#conversations li').length === 2 && document.querySelector('.message.assistant .stats')", null, FunctionPatience);
        await page.ClickAsync("#conversations li:nth-child(2) .delete");
        Assert.Equal(["Second"], await page.Locator("#conversations .open").AllInnerTextsAsync());
    }

    [SkippableFact]
    public async Task Stop_cancels_the_request_and_the_engine_frees_its_blocks()
    {
        await using var session = await OpenForLongRepliesAsync();
        var page = session.Page;

        await page.FillAsync("#input", "Tell me a very long story");
        await page.PressAsync("#input", "Enter");
        await page.WaitForFunctionAsync("() => document.querySelector('.message.assistant .content')?.textContent.length > 0", null, FunctionPatience);
        Assert.Equal(1, (int)(await StatsAsync())["num_running"]!);
        await page.ClickAsync("#stop");

        await WaitForAsync(async () => await StatsAsync() is var s && (int)s["num_running"]! == 0 && (int)s["num_used_blocks"]! == 0);
        await page.WaitForSelectorAsync(".message.assistant .stats", Patience);
        Assert.StartsWith("stopped", await page.InnerTextAsync(".message.assistant .stats"));
        Assert.True(await page.IsVisibleAsync("#send"));
        Assert.False(await page.IsVisibleAsync("#stop"));
    }

    [SkippableFact]
    public async Task Errors_from_the_server_are_shown_before_and_during_a_stream()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        await WarmUpAsync();
        await using var session = await PageSession.OpenAsync(Server.BaseAddress, 375, 740);
        var page = session.Page;

        // Refused before the stream starts: a 400 with an OpenAI error.
        await SetAsync(page, maxTokens: "100000", ignoreEos: false);
        await page.FillAsync("#input", "hello");
        await page.PressAsync("#input", "Enter");
        await page.WaitForSelectorAsync(".message.assistant .error", Patience);
        Assert.Contains("400: This model's maximum context length is", await page.InnerTextAsync(".message.assistant .error"));

        // Ended by the server mid-stream: an error event, then [DONE].
        await SetAsync(page, maxTokens: LongReplyTokens, ignoreEos: true);
        await page.FillAsync("#input", "hello again");
        await page.PressAsync("#input", "Enter");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.message.assistant')[1]?.querySelector('.content').textContent.length > 0", null, FunctionPatience);
        Server.Engine.AbortAll();
        await page.WaitForSelectorAsync(".message.assistant:nth-of-type(4) .error", Patience);
        Assert.Equal("Server error: The request was cancelled by the server.", await page.InnerTextAsync(".message.assistant:nth-of-type(4) .error"));

        // Usable at 375 px: nothing wider than the screen.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 375"), "the page scrolls sideways at 375 px");
        Assert.True(await page.IsVisibleAsync("#send"));
        await Chromium.ScreenshotAsync(page, "chat-375px");
    }

    [SkippableFact]
    public async Task With_api_keys_the_page_asks_for_the_key_and_then_chats()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?> { ["Server:ApiKeys:0"] = "page-key" });
        await using var session = await PageSession.OpenAsync(server.BaseAddress, 1100, 760);
        var page = session.Page;

        await page.WaitForSelectorAsync("#notice:not([hidden])", Patience);
        Assert.Contains("needs an API key", await page.InnerTextAsync("#notice"));
        await page.FillAsync("#api-key", "page-key");
        await page.DispatchEventAsync("#api-key", "change");
        await page.WaitForFunctionAsync("() => document.querySelector('#model').options.length === 1", null, FunctionPatience);
        Assert.Equal(server.ModelId, await page.InputValueAsync("#model"));
        await page.FillAsync("#input", "hello");
        await page.PressAsync("#input", "Enter");

        await page.WaitForSelectorAsync(".message.assistant .stats", Patience);
        Assert.Empty(await page.Locator(".message.assistant .error").AllInnerTextsAsync());
        // Markdown rendering passes the key too: the rendered elements replace the streamed text.
        await page.WaitForFunctionAsync("() => document.querySelector('.message.assistant .content')?.children.length > 0", null, FunctionPatience);
        Assert.True(await page.IsHiddenAsync("#notice"));
    }

    private static readonly PageWaitForSelectorOptions Patience = new() { Timeout = 60_000 };
    private static readonly PageWaitForFunctionOptions FunctionPatience = new() { Timeout = 60_000, PollingInterval = 20 };

    private static async Task SetAsync(IPage page, string maxTokens, bool ignoreEos)
    {
        if (!await page.IsVisibleAsync("#max-tokens"))
            await page.ClickAsync("#settings summary");
        await page.WaitForFunctionAsync("() => document.querySelector('#model').options.length > 0", null, FunctionPatience);
        await page.FillAsync("#max-tokens", maxTokens);
        await page.SetCheckedAsync("#ignore-eos", ignoreEos);
    }

    private async Task<JsonNode> StatsAsync() => JsonNode.Parse(await Server.Http.GetStringAsync("v1/engine/stats"))!;

    /// <summary>
    /// The chat page on a warmed-up server, desktop-sized, set to long ignore_eos replies (so a request surely still runs
    /// when the test looks); skips when Chromium is missing.
    /// </summary>
    private async Task<PageSession> OpenForLongRepliesAsync()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        await WarmUpAsync();
        var session = await PageSession.OpenAsync(Server.BaseAddress, 1100, 760);
        await SetAsync(session.Page, maxTokens: LongReplyTokens, ignoreEos: true);
        return session;
    }

    /// <summary>A first request, so the server's code paths are compiled before a test races a running request.</summary>
    private Task WarmUpAsync() =>
        Server.ChatAsync(new { model = fixture.ModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2 });

    private static Task WaitForAsync(Func<Task<bool>> condition) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(30), "condition not met in time");
}
