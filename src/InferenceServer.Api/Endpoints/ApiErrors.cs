using System.Text;
using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Endpoints;

/// <summary>Reading request JSON and writing OpenAI-shaped error responses.</summary>
public static class ApiErrors
{
    /// <summary>Seconds a client should wait after a 429 (sent as <c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Parses the request body as JSON.</summary>
    /// <exception cref="ApiException">400 when the body is not valid JSON.</exception>
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext http)
    {
        try
        {
            return await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw ApiException.BadRequest(
                $"We could not parse the JSON body of your request: {ex.Message} The OpenAI API expects a JSON payload.", null, "invalid_json");
        }
    }

    /// <summary>The error as an <c>application/json</c> result with its status code (and Retry-After on 429).</summary>
    public static IResult ToResult(HttpContext http, ApiException ex)
    {
        if (ex.StatusCode == StatusCodes.Status429TooManyRequests)
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return Results.Text(Serialize(ex.Error), "application/json", Encoding.UTF8, ex.StatusCode);
    }

    /// <summary>The JSON text <c>{"error":{…}}</c>.</summary>
    public static string Serialize(ErrorDetail error) =>
        JsonSerializer.Serialize(new ErrorResponse(error), ApiJsonContext.Wire.ErrorResponse);
}
