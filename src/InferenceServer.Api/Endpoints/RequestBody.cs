using System.Text.Json;
using InferenceServer.Api.Errors;
using Microsoft.Net.Http.Headers;

namespace InferenceServer.Api.Endpoints;

/// <summary>Reading a request's JSON body: its content type, its JSON and its Unicode, each refused with an OpenAI error.</summary>
public static class RequestBody
{
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
        throw ApiException.UnsupportedMediaType(string.IsNullOrWhiteSpace(contentType) ? "no Content-Type" : $"Content-Type '{contentType}'");
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
            throw ApiException.RequestTooLarge();
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
}
