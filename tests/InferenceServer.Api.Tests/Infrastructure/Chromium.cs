using Microsoft.Playwright;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (no browser download); tests skip when it is not installed.</summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static bool IsInstalled => File.Exists(ExecutablePath);

    /// <summary>Folder in the test output where browser tests save their screenshots.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ExecutablePath, Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });

    /// <summary>Saves a screenshot of <paramref name="page"/> as <c>screenshots/&lt;name&gt;.png</c> in the test output.</summary>
    public static Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png") });
    }
}
