using InferenceServer.Api.Contracts;
using InferenceServer.Engine;

namespace InferenceServer.Api.Errors;

/// <summary>
/// A request that ends in an OpenAI error response with <see cref="StatusCode"/>; thrown before any byte is sent.
/// The factories below are the server's errors that are not about one request field.
/// </summary>
public sealed class ApiException(int statusCode, ErrorDetail error) : Exception(error.Message)
{
    /// <summary>HTTP status code (4xx, or 5xx for the server's own state).</summary>
    public int StatusCode { get; } = statusCode;
    /// <summary>The error body.</summary>
    public ErrorDetail Error { get; } = error;

    /// <summary>400 <c>invalid_request_error</c> naming <paramref name="param"/>.</summary>
    public static ApiException BadRequest(string message, string? param, string? code = null) =>
        new(StatusCodes.Status400BadRequest, new ErrorDetail(message, "invalid_request_error", param, code));

    /// <summary>404 for a model this server does not serve.</summary>
    public static ApiException ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, new ErrorDetail(
            $"The model '{model}' does not exist or you do not have access to it.", "invalid_request_error", "model", "model_not_found"));

    /// <summary>415 for a body not declared as JSON; <paramref name="got"/> says what was declared.</summary>
    public static ApiException UnsupportedMediaType(string got) =>
        new(StatusCodes.Status415UnsupportedMediaType, new ErrorDetail(
            $"Unsupported media type: the request has {got}. Send the JSON body with 'Content-Type: application/json'.",
            "invalid_request_error", null, "unsupported_media_type"));

    /// <summary>413 for a body over <c>Server:MaxRequestBodyBytes</c>.</summary>
    public static ApiException RequestTooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, new ErrorDetail(
            "The request body is larger than this server accepts (Server:MaxRequestBodyBytes).", "invalid_request_error", null, "request_too_large"));

    /// <summary>503 while the model loads.</summary>
    public static ApiException NotReady() =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorDetail(
            "The model is still loading; retry shortly.", "server_error", null, "model_not_ready"));

    /// <summary>503 while the server drains or stops.</summary>
    public static ApiException ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorDetail(
            "The server is shutting down; retry on another replica.", "server_error", null, "shutting_down"));

    /// <summary>503 for a request the server cancelled (drain, shutdown) before all its choices ended.</summary>
    public static ApiException Cancelled() =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorDetail(
            "The request was cancelled by the server.", "server_error", null, "cancelled"));

    /// <summary>500 for a request the engine failed after it started, with the engine's reason.</summary>
    public static ApiException GenerationFailed(string message) =>
        new(StatusCodes.Status500InternalServerError, new ErrorDetail(message, "server_error", null, "generation_failed"));

    /// <summary>The API error for an engine refusal; <paramref name="promptParam"/> names the prompt field.</summary>
    public static ApiException FromRejection(EngineRejectedException ex, string promptParam) => ex.Reason switch
    {
        RejectionReason.ContextLengthExceeded => BadRequest(ex.Message, promptParam, "context_length_exceeded"),
        RejectionReason.QueueFull => new ApiException(StatusCodes.Status429TooManyRequests,
            new ErrorDetail(ex.Message, "rate_limit_error", null, "queue_full")),
        RejectionReason.NotReady => NotReady(),
        _ => ShuttingDown(),
    };
}
