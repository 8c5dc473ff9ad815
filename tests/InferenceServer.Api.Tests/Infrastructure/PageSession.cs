using Microsoft.Playwright;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A Chromium page opened on a path of the server, in a fresh browser profile (empty localStorage).</summary>
public sealed class PageSession : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private PageSession(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    public static async Task<PageSession> OpenAsync(Uri server, int width, int height, string path = "")
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        await page.GotoAsync(new Uri(server, path).ToString());
        return new PageSession(playwright, browser, page);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
