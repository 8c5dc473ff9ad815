using System.Security.Cryptography;
using System.Text;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Options;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Optional bearer-token check: with <see cref="ServerOptions.ApiKeys"/> set, every request except CORS preflights,
/// the web pages' files (<c>/</c>, <c>/kv</c>, <c>/ui/…</c>) and (by configuration) health and metrics needs <c>Authorization: Bearer &lt;key&gt;</c>, else 401 with an OpenAI
/// error (<c>invalid_api_key</c>), as the OpenAI API answers.
/// </summary>
public sealed class ApiKeyAuthentication(RequestDelegate next, IOptions<ServerOptions> options)
{
    private readonly byte[][] _keys = options.Value.ApiKeys.Where(k => k.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
    private readonly ServerOptions _options = options.Value;

    /// <summary>Runs the check.</summary>
    public Task InvokeAsync(HttpContext http, Metrics.InferenceMetrics metrics)
    {
        if (_keys.Length == 0 || HttpMethods.IsOptions(http.Request.Method) || IsOpen(http.Request.Path) || HasValidKey(http))
            return next(http);
        metrics.CountRefused(http, StatusCodes.Status401Unauthorized);
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.ContentType = "application/json";
        http.Response.Headers.WWWAuthenticate = "Bearer";
        bool sent = http.Request.Headers.Authorization.Count > 0;
        return http.Response.WriteAsync(ApiErrors.Serialize(new ErrorDetail(
            sent ? "Incorrect API key provided." : "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
            "invalid_request_error", null, "invalid_api_key")));
    }

    /// <summary>The API key of a request (the bearer token), or null.</summary>
    public static string? KeyOf(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    // The page itself carries no secret: it asks the user for the key and sends it with its API calls.
    private bool IsOpen(PathString path) =>
        Page.PageEndpoints.IsPagePath(path)
        || _options.OpenHealthEndpoints && path.StartsWithSegments("/health")
        || _options.OpenMetricsEndpoint && path.StartsWithSegments("/metrics");

    private bool HasValidKey(HttpContext http)
    {
        if (KeyOf(http) is not { Length: > 0 } key)
            return false;
        byte[] given = Encoding.UTF8.GetBytes(key);
        bool match = false;
        foreach (var candidate in _keys)
            match |= CryptographicOperations.FixedTimeEquals(given, candidate);
        return match;
    }
}
