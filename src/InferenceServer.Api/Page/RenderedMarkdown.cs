namespace InferenceServer.Api.Page;

/// <summary>Response of <c>POST /v1/render/markdown</c>.</summary>
/// <param name="Html">The rendered HTML (raw HTML of the input escaped, unsafe link targets removed).</param>
public sealed record RenderedMarkdown(string Html);
