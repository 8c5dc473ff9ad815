using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Generation;

/// <summary>A request that ends in an OpenAI error response with <see cref="StatusCode"/>; thrown before any byte is sent.</summary>
public sealed class ApiException(int statusCode, ErrorDetail error) : Exception(error.Message)
{
    /// <summary>HTTP status code (4xx, or 503 while not ready).</summary>
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
}
