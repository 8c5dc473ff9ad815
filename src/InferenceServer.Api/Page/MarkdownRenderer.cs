using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace InferenceServer.Api.Page;

/// <summary>
/// Model output as HTML for the chat page: CommonMark with pipe tables, strikethrough and autolinks (Markdig). Raw HTML
/// in the text is escaped, and links and images keep only http, https and mailto targets (or relative ones), so a
/// reply cannot run script in the page.
/// </summary>
internal static class MarkdownRenderer
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseEmphasisExtras().UseAutoLinks().DisableHtml().Build();

    /// <summary>
    /// The HTML of <paramref name="markdown"/>; text Markdig refuses to parse (elements nested deeper than it allows)
    /// comes back escaped, as preformatted text.
    /// </summary>
    public static string ToHtml(string markdown)
    {
        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException)
        {
            return $"<pre>{System.Net.WebUtility.HtmlEncode(markdown)}</pre>";
        }
        foreach (var link in document.Descendants<LinkInline>())
            if (!IsSafe(link.Url))
                link.Url = "#";
        foreach (var link in document.Descendants<AutolinkInline>())
            if (!IsSafe(link.Url))
                link.Url = "#";
        return document.ToHtml(Pipeline);
    }

    // Allow-list of schemes; a reference without one (no ':' before the first '/', '?' or '#') is relative.
    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrEmpty(url))
            return true;
        int colon = url.IndexOf(':');
        int end = url.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || end >= 0 && end < colon)
            return true;
        return url[..colon].Trim().ToLowerInvariant() is "http" or "https" or "mailto";
    }
}
