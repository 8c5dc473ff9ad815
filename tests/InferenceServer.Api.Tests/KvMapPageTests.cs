using InferenceServer.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace InferenceServer.Api.Tests;

/// <summary>The KV map at <c>/kv</c> in a real browser while a real request runs and after it. Skipped when Chromium is absent.</summary>
[Collection(ServerCollection.Name)]
public sealed class KvMapPageTests(DemoServerFixture fixture)
{
    private static readonly PageWaitForFunctionOptions Patience = new() { Timeout = 60_000, PollingInterval = 20 };

    [SkippableFact]
    public async Task The_map_shows_a_running_request_in_use_highlights_its_blocks_and_shows_its_prompt_cached_after_it()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        var server = fixture.Server;
        await server.ChatAsync(new { model = fixture.ModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2 });
        await using var session = await PageSession.OpenAsync(server.BaseAddress, 1100, 700, "kv");
        var page = session.Page;
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#grid .block').length === {server.Engine.Stats.NumBlocks}", null, Patience);

        // Three choices of one prompt share its full blocks: the map numbers them by holder count.
        string prompt = string.Join(' ', Enumerable.Repeat("a shared system prompt read by every stream", 6)) + " " + Guid.NewGuid();
        using var cancel = new CancellationTokenSource();
        var streaming = ReadUntilCancelledAsync(server, new
        {
            model = fixture.ModelId, messages = new[] { new { role = "user", content = prompt } },
            max_tokens = 1300, ignore_eos = true, stream = true, n = 3, temperature = 1.0,
        }, cancel.Token);

        await page.WaitForFunctionAsync(
            "() => document.querySelectorAll('#sequences li').length === 3 && [...document.querySelectorAll('#grid .block.in_use')].some(b => b.textContent === '3')", null, Patience);
        Assert.Equal("3", await page.InnerTextAsync("dd[data-counter='running']"));
        Assert.True(int.Parse(await page.InnerTextAsync("dd[data-counter='shared']")) >= 2, "the prompt's full blocks are shared");
        await page.HoverAsync("#sequences li:first-child");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#grid .block.highlight').length > 0", null, Patience);
        // Both counts in one script run: the map redraws between two separate queries while the sequence grows.
        int[] counts = await page.EvaluateAsync<int[]>(
            "() => [document.querySelectorAll('#grid .block.highlight').length, document.querySelectorAll('#grid .block.highlight.in_use').length]");
        Assert.True(counts[0] > 0, "the hovered sequence's blocks are highlighted");
        Assert.Equal(counts[0], counts[1]);
        await Chromium.ScreenshotAsync(page, "kv-running");

        await page.Mouse.MoveAsync(0, 0);
        await cancel.CancelAsync();
        await streaming;
        await page.WaitForFunctionAsync(
            "() => document.querySelectorAll('#grid .block.in_use').length === 0 && document.querySelectorAll('#grid .block.cached_idle').length >= 2", null, Patience);
        Assert.Equal("0", await page.InnerTextAsync("dd[data-counter='running']"));
        Assert.Equal("No sequence holds blocks.", await page.InnerTextAsync("#sequences"));
        await Chromium.ScreenshotAsync(page, "kv-after");
    }

    [SkippableFact]
    public async Task With_api_keys_the_map_asks_for_the_key_and_then_follows_the_cache()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        await using var server = await TestServer.StartFakeAsync(new Dictionary<string, string?> { ["Server:ApiKeys:0"] = "map-key" });
        await using var session = await PageSession.OpenAsync(server.BaseAddress, 1100, 700, "kv");
        var page = session.Page;

        await page.WaitForSelectorAsync("#notice:not([hidden])");
        Assert.Contains("401", await page.InnerTextAsync("#notice"));
        await page.FillAsync("#api-key", "map-key");
        await page.DispatchEventAsync("#api-key", "change");

        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#grid .block').length === {server.Engine.Stats.NumBlocks}", null, Patience);
        Assert.True(await page.IsHiddenAsync("#notice"));
    }

    private static async Task ReadUntilCancelledAsync(TestServer server, object body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await server.PostAsync("v1/chat/completions", body, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            await SseReader.ReadAllAsync(response, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
