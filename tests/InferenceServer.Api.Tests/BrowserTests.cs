using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace InferenceServer.Api.Tests;

/// <summary>
/// A real browser (Debian's Chromium driven by Playwright) streams a chat completion with fetch() from a page
/// served by another origin. Skipped when /usr/bin/chromium is absent (.ci/run installs it). The API runs the fake
/// model (see <see cref="ContractCollection"/>): the browser's CORS handling is under test, not the text.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserTests
{
    private const string Page = """
        <!doctype html><html><body><pre id="out"></pre><script>
        async function run() {
          const api = new URLSearchParams(location.search).get('api');
          try {
            const response = await fetch(api + 'v1/chat/completions', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer page-key' },
              body: JSON.stringify({ model: 'inference-server-demo', messages: [{ role: 'user', content: 'hi' }],
                                     max_tokens: 8, stream: true, ignore_eos: true }) });
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            let text = '', reads = 0;
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              text += decoder.decode(value, { stream: true });
              reads++;
            }
            window.result = { status: response.status, text, reads };
          } catch (e) {
            window.result = { error: String(e) };
          }
          document.getElementById('out').textContent = JSON.stringify(window.result);
          window.done = true;
        }
        run();
        </script></body></html>
        """;

    private static async Task<(WebApplication App, string Origin)> ServePageAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(Page, "text/html"));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.TrimEnd('/'));
    }

    private static async Task<JsonNode> RunPageAsync(string pageOrigin, Uri api)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{pageOrigin}/?api={Uri.EscapeDataString(api.ToString())}");
        await page.WaitForFunctionAsync("() => window.done === true", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        return JsonNode.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.result)"))!;
    }

    [SkippableFact]
    public async Task A_page_from_another_origin_streams_a_chat_completion_when_its_origin_is_allowed()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        var (pageServer, origin) = await ServePageAsync();
        await using var _ = pageServer;
        await using var api = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:CorsOrigins:0"] = origin, ["Server:ApiKeys:0"] = "page-key",
        });

        var result = await RunPageAsync(origin, api.BaseAddress);

        Assert.True(result["error"] is null, result.ToJsonString());
        Assert.Equal(200, (int)result["status"]!);
        var events = ((string)result["text"]!).Split('\n').Where(l => l.StartsWith("data: ")).Select(l => l[6..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal("length", (string?)JsonNode.Parse(events[^2])!["choices"]![0]!["finish_reason"]);
        Assert.True(events.Count >= 10, $"expected role, content and finish chunks, got {events.Count} events");
    }

    [SkippableFact]
    public async Task A_page_from_an_origin_not_allowed_is_blocked_by_the_browser()
    {
        Skip.IfNot(Chromium.IsInstalled, "Chromium is not installed");
        var (pageServer, origin) = await ServePageAsync();
        await using var _ = pageServer;
        await using var api = await TestServer.StartFakeAsync(new Dictionary<string, string?>
        {
            ["Server:CorsOrigins:0"] = "http://somewhere-else.example", ["Server:ApiKeys:0"] = "page-key",
        });

        var result = await RunPageAsync(origin, api.BaseAddress);

        Assert.Contains("Failed to fetch", (string?)result["error"]);
    }
}
