using InferenceServer.Api.Contracts;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Serving;
using InferenceServer.Api.Streaming;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InferenceServer.Api.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: one JSON object, or Server-Sent Events with
/// <c>stream: true</c>; both run the <see cref="GenerationServing"/> pipeline.
/// </summary>
public static class GenerationEndpoints
{
    private static readonly GenerationEndpoint<ChatCompletionResponse> Chat =
        new("chat.completions", RequestFields.Chat, GenerationRequestParser.ParseChat, (model, created) => new ChatResponseShape(model, created));

    private static readonly GenerationEndpoint<CompletionResponse> Completion =
        new("completions", RequestFields.Completion, GenerationRequestParser.ParseCompletion, (model, created) => new CompletionResponseShape(model, created));

    /// <summary>Maps both endpoints on <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapGeneration(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CreateChatCompletion)
            .WithName("CreateChatCompletion")
            .WithSummary("Creates a model response for a chat conversation (OpenAI-compatible; stream: true streams SSE chunks).")
            .Produces<ChatCompletionResponse>()
            .ProducesErrors();
        v1.MapPost("/completions", CreateCompletion)
            .WithName("CreateCompletion")
            .WithSummary("Creates a completion for a text prompt (OpenAI-compatible; stream: true streams SSE chunks).")
            .Produces<CompletionResponse>()
            .ProducesErrors();
        return v1;
    }

    private static Task<Results<WireJsonResult<ChatCompletionResponse>, SseStreamResult, ApiErrorResult>> CreateChatCompletion(
        HttpContext http, GenerationServing serving) => serving.ServeAsync(http, Chat);

    private static Task<Results<WireJsonResult<CompletionResponse>, SseStreamResult, ApiErrorResult>> CreateCompletion(
        HttpContext http, GenerationServing serving) => serving.ServeAsync(http, Completion);

    private static RouteHandlerBuilder ProducesErrors(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
        .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
        .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
        .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
        .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
}
