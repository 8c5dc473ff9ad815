using System.Text.Json;
using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Errors;

/// <summary>
/// OpenAI-shaped error responses <c>{"error":{"message","type","param","code"}}</c>: the result of an
/// <see cref="ApiException"/>, and bodies for errors raised outside the endpoints (unhandled exceptions, unknown paths).
/// </summary>
public static class ApiErrors
{
    /// <summary>Seconds a client should wait after a 429 (sent as <c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>The error as an <c>application/json</c> result with its status code (and Retry-After on 429).</summary>
    public static ApiErrorResult ToResult(ApiException ex) => new(ex.StatusCode, ex.Error);

    /// <summary>
    /// Gives every error the OpenAI shape: a 500 body for an unhandled exception, and a body for a 4xx/5xx status
    /// code sent without one.
    /// </summary>
    public static WebApplication UseOpenAiErrors(this WebApplication app)
    {
        app.UseExceptionHandler(error => error.Run(async http =>
        {
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(Serialize(new ErrorDetail(
                "The server had an error while processing your request.", "server_error", null, null)));
        }));
        app.UseStatusCodePages(context => WriteStatusCodeBodyAsync(context.HttpContext));
        return app;
    }

    /// <summary>
    /// Writes an OpenAI error body for a 4xx/5xx response that has none (unknown path 404, wrong method 405, …), so a
    /// client always gets the same error shape.
    /// </summary>
    public static async Task WriteStatusCodeBodyAsync(HttpContext http)
    {
        int status = http.Response.StatusCode;
        string message = status switch
        {
            StatusCodes.Status404NotFound => $"Unknown request URL: {http.Request.Method} {http.Request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"Method {http.Request.Method} is not allowed for {http.Request.Path}.",
            _ => $"The request failed with status {status}.",
        };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(Serialize(new ErrorDetail(message, status >= 500 ? "server_error" : "invalid_request_error", null, null)));
    }

    /// <summary>The JSON text <c>{"error":{…}}</c>.</summary>
    public static string Serialize(ErrorDetail error) =>
        JsonSerializer.Serialize(new ErrorResponse(error), ApiJsonContext.Wire.ErrorResponse);
}
