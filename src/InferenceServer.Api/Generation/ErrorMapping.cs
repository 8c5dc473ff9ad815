using InferenceServer.Api.Contracts;
using InferenceServer.Engine;

namespace InferenceServer.Api.Generation;

/// <summary>Maps engine refusals to OpenAI errors and HTTP status codes.</summary>
public static class ErrorMapping
{
    /// <summary>503 while the model loads.</summary>
    public static ApiException NotReady() =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorDetail(
            "The model is still loading; retry shortly.", "server_error", null, "model_not_ready"));

    /// <summary>503 while the server drains or stops.</summary>
    public static ApiException ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorDetail(
            "The server is shutting down; retry on another replica.", "server_error", null, "shutting_down"));

    /// <summary>The API error for an engine refusal; <paramref name="promptParam"/> names the prompt field.</summary>
    public static ApiException FromRejection(EngineRejectedException ex, string promptParam) => ex.Reason switch
    {
        RejectionReason.ContextLengthExceeded => ApiException.BadRequest(ex.Message, promptParam, "context_length_exceeded"),
        RejectionReason.QueueFull => new ApiException(StatusCodes.Status429TooManyRequests,
            new ErrorDetail(ex.Message, "rate_limit_error", null, "queue_full")),
        RejectionReason.NotReady => NotReady(),
        _ => ShuttingDown(),
    };
}
