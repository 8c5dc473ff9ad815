using System.Text.Json;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using Microsoft.Extensions.FileProviders;

namespace InferenceServer.Api.Page;

/// <summary>
/// The chat page at <c>/</c>, the KV cache map at <c>/kv</c> and their scripts and styles under <c>/ui/</c>, all
/// embedded in the assembly (so the server serves them from any working directory, with no build step and no CDN), and
/// <c>POST /v1/render/markdown</c>, which renders a finished reply for the page.
/// </summary>
internal static class PageEndpoints
{
    /// <summary>Paths the page needs before it knows an API key; <see cref="Hosting.ApiKeyAuthentication"/> leaves them open.</summary>
    public static bool IsPagePath(PathString path) =>
        path == "/" || path == "/kv" || path.StartsWithSegments("/ui");

    private static readonly EmbeddedFileProvider Files = new(typeof(PageEndpoints).Assembly, "InferenceServer.Api.Page.assets");

    /// <summary>Serves the embedded files under <c>/ui/</c>.</summary>
    public static IApplicationBuilder UsePageFiles(this IApplicationBuilder app) =>
        app.UseStaticFiles(new StaticFileOptions { FileProvider = Files, RequestPath = "/ui" });

    /// <summary>Maps the two pages on <paramref name="app"/> and the Markdown endpoint on <paramref name="v1"/>.</summary>
    public static void MapPages(this IEndpointRouteBuilder app, RouteGroupBuilder v1)
    {
        // HEAD too, as static file servers answer it (link checkers and uptime probes send it).
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], () => Html("index.html")).ExcludeFromDescription();
        app.MapMethods("/kv", [HttpMethods.Get, HttpMethods.Head], () => Html("kv.html")).ExcludeFromDescription();
        v1.MapPost("/render/markdown", (Func<HttpContext, Task<IResult>>)RenderMarkdownAsync)
            .WithName("RenderMarkdown")
            .WithSummary("Renders {\"text\": markdown} as {\"html\": …} for the chat page (CommonMark, raw HTML escaped).")
            .Produces<RenderedMarkdown>()
            .Produces<Contracts.ErrorResponse>(StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// Longest text <c>POST /v1/render/markdown</c> renders, in UTF-16 characters: a long reply of about 8,000 tokens.
    /// Parsing costs more than linear time on some inputs (unclosed links), so longer text is refused; the page then
    /// shows the reply as plain text.
    /// </summary>
    public const int MaxMarkdownChars = 32 * 1024;

    private static IResult Html(string name) => Results.Stream(Files.GetFileInfo(name).CreateReadStream(), "text/html; charset=utf-8");

    private static async Task<IResult> RenderMarkdownAsync(HttpContext http)
    {
        try
        {
            RequestBody.RequireJsonContentType(http);
            using var body = await RequestBody.ReadJsonAsync(http).ConfigureAwait(false);
            if (body.RootElement.ValueKind != JsonValueKind.Object
                || !body.RootElement.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest("'text' must be a string of Markdown.", "text", "invalid_type");
            string markdown = text.GetString()!;
            if (markdown.Length > MaxMarkdownChars)
                throw ApiException.BadRequest($"Invalid 'text': string too long. Expected a string with maximum length {MaxMarkdownChars}, " +
                    $"but got a string with length {markdown.Length} instead.", "text", "string_above_max_length");
            return TypedResults.Ok(new RenderedMarkdown(MarkdownRenderer.ToHtml(markdown)));
        }
        catch (ApiException ex)
        {
            return ApiErrors.ToResult(ex);
        }
    }
}
