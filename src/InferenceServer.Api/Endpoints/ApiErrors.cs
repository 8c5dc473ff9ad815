using System.Text;
using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;
using Microsoft.Net.Http.Headers;

namespace InferenceServer.Api.Endpoints;

/// <summary>Reading request JSON and writing OpenAI-shaped error responses.</summary>
public static class ApiErrors
{
    /// <summary>Seconds a client should wait after a 429 (sent as <c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>
    /// Refuses a body not declared as <c>application/json</c> (parameters such as <c>charset</c> allowed, media type
    /// compared case-insensitively). Browsers send <c>text/plain</c>, form and multipart bodies cross-origin without a
    /// CORS preflight, so accepting them would let any web page make this server generate; a JSON content type forces
    /// the preflight, which CORS then decides.
    /// </summary>
    /// <exception cref="ApiException">415 <c>unsupported_media_type</c>.</exception>
    public static void RequireJsonContentType(HttpContext http)
    {
        string? contentType = http.Request.ContentType;
        if (MediaTypeHeaderValue.TryParse(contentType, out var media)
            && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return;
        string got = string.IsNullOrWhiteSpace(contentType) ? "no Content-Type" : $"Content-Type '{contentType}'";
        throw new ApiException(StatusCodes.Status415UnsupportedMediaType, new ErrorDetail(
            $"Unsupported media type: the request has {got}. Send the JSON body with 'Content-Type: application/json'.",
            "invalid_request_error", null, "unsupported_media_type"));
    }

    // Tool and response schemas nest (each level of a nested object is two JSON levels); the default limit of 64 refused
    // realistic ones. Deeper bodies are refused with the parser's own message.
    private static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = 128 };

    /// <summary>Parses the request body as JSON (nested at most 128 levels).</summary>
    /// <exception cref="ApiException">400 when the body is not valid JSON.</exception>
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext http)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(http.Request.Body, BodyOptions, http.RequestAborted).ConfigureAwait(false);
            try
            {
                RequireValidUnicode(document.RootElement, null);
            }
            catch
            {
                document.Dispose();
                throw;
            }
            return document;
        }
        catch (JsonException ex)
        {
            throw ApiException.BadRequest(
                $"We could not parse the JSON body of your request: {ex.Message} The OpenAI API expects a JSON payload.", null, "invalid_json");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, new ErrorDetail(
                "The request body is larger than this server accepts (Server:MaxRequestBodyBytes).", "invalid_request_error", null, "request_too_large"));
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdict on the body, e.g. fewer bytes than Content-Length promised.
            throw ApiException.BadRequest($"The request body could not be read: {ex.Message}", null, "invalid_body");
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The client hung up while sending: nobody will read the answer, but it is logged and counted as refused.
            throw ApiException.BadRequest("The client closed the connection before the request body was complete.", null, "request_aborted");
        }
    }

    // JSON escapes can spell lone UTF-16 surrogates ("\ud800"), which System.Text.Json parses but refuses to decode
    // later, wherever a name or value is read; one walk up front turns them all into a 400 naming the place.
    private static void RequireValidUnicode(JsonElement element, string? path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw ApiException.BadRequest($"A property name{(path is null ? "" : $" in '{path}'")} is not valid Unicode.", path, "invalid_value");
                    }
                    RequireValidUnicode(property.Value, path is null ? name : $"{path}.{name}");
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                    RequireValidUnicode(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.String:
                try
                {
                    element.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw ApiException.BadRequest($"'{path}' is not valid Unicode.", path, "invalid_value");
                }
                break;
        }
    }

    /// <summary>The error as an <c>application/json</c> result with its status code (and Retry-After on 429).</summary>
    public static IResult ToResult(HttpContext http, ApiException ex)
    {
        if (ex.StatusCode == StatusCodes.Status429TooManyRequests)
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return Results.Text(Serialize(ex.Error), "application/json", Encoding.UTF8, ex.StatusCode);
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
