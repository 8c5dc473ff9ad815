using InferenceServer.Api.Page;

namespace InferenceServer.Api.Tests;

public sealed class MarkdownRendererTests
{
    [Fact]
    public void Fenced_code_keeps_its_language_and_escapes_its_text()
    {
        string html = MarkdownRenderer.ToHtml("Look:\n\n```csharp\nif (a < b) { }\n```\n");
        Assert.Contains("<pre><code class=\"language-csharp\">if (a &lt; b) { }\n</code></pre>", html);
    }

    [Fact]
    public void Raw_html_is_escaped_and_script_links_lose_their_target()
    {
        string html = MarkdownRenderer.ToHtml(
            "<img src=x onerror=alert(1)> [click](javascript:alert(1)) [ok](https://example.com/a) [rel](/v1/models) [data](DATA:text/html,x)");
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("<a href=\"#\">click</a>", html);
        Assert.Contains("<a href=\"https://example.com/a\">ok</a>", html);
        Assert.Contains("<a href=\"/v1/models\">rel</a>", html);
        Assert.Contains("<a href=\"#\">data</a>", html);
        Assert.DoesNotContain("javascript:", html);
    }

    [Fact]
    public void Emphasis_lists_and_tables_render()
    {
        string html = MarkdownRenderer.ToHtml("**bold** and `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        Assert.Contains("<strong>bold</strong>", html);
        Assert.Contains("<code>code</code>", html);
        Assert.Contains("<li>one</li>", html);
        Assert.Contains("<td>2</td>", html);
    }

    [Fact]
    public void Nesting_deeper_than_markdig_parses_comes_back_as_escaped_text()
    {
        string deep = new string('>', 200) + " <b>x</b>";

        string html = MarkdownRenderer.ToHtml(deep);

        Assert.Equal($"<pre>{new string('>', 200).Replace(">", "&gt;")} &lt;b&gt;x&lt;/b&gt;</pre>", html);
    }
}
