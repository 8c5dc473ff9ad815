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

    /// <summary>The HTML of <paramref name="markdown"/>.</summary>
    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
            if (!IsSafe(link.Url))
                link.Url = "#";
        foreach (var link in document.Descendants<AutolinkInline>())
            if (!IsSafe(link.Url))
                link.Url = "#";
        return document.ToHtml(Pipeline);
    }

    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrEmpty(url))
            return true;
        if (!Uri.TryCreate(url.Trim(), UriKind.RelativeOrAbsolute, out var uri))
            return false;
        // A relative reference has no scheme; "javascript:x" parses as absolute and is refused below.
        return !uri.IsAbsoluteUri && !url.Contains(':') || uri.IsAbsoluteUri && uri.Scheme is "http" or "https" or "mailto";
    }
}
