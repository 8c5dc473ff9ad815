using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Metrics;
using InferenceServer.Api.Options;
using InferenceServer.Api.Serving;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: validate, submit, then either stream
/// Server-Sent Events (content chunks, a finish chunk, an optional usage chunk, <c>[DONE]</c>, with keep-alive comments
/// while nothing else is sent) or return one object.
/// </summary>
public static class GenerationEndpoints
{
    /// <summary>Maps both endpoints on <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapGeneration(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CreateChatCompletion)
            .WithName("CreateChatCompletion")
            .WithSummary("Creates a model response for a chat conversation (OpenAI-compatible; stream: true streams SSE chunks).")
            .Produces<ChatCompletionResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        v1.MapPost("/completions", CreateCompletion)
            .WithName("CreateCompletion")
            .WithSummary("Creates a completion for a text prompt (OpenAI-compatible; stream: true streams SSE chunks).")
            .Produces<CompletionResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return v1;
    }

    private static Task<IResult> CreateChatCompletion(HttpContext http, InputProcessor inputs, EngineClient engine,
        ModelCard model, InferenceMetrics metrics, ILoggerFactory loggers, IOptions<ServerOptions> server, TimeProvider time) =>
        HandleAsync(http, inputs, engine, model, metrics, loggers.CreateLogger("InferenceServer.Requests"), "chat.completions",
            GenerationRequestParser.ParseChat, () => new ChatResponseShape(model.Id, DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            server.Value.SseHeartbeat, time);

    private static Task<IResult> CreateCompletion(HttpContext http, InputProcessor inputs, EngineClient engine,
        ModelCard model, InferenceMetrics metrics, ILoggerFactory loggers, IOptions<ServerOptions> server, TimeProvider time) =>
        HandleAsync(http, inputs, engine, model, metrics, loggers.CreateLogger("InferenceServer.Requests"), "completions",
            GenerationRequestParser.ParseCompletion, () => new CompletionResponseShape(model.Id, DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            server.Value.SseHeartbeat, time);

    private static async Task<IResult> HandleAsync(HttpContext http, InputProcessor inputs, EngineClient engine, ModelCard model,
        InferenceMetrics metrics, ILogger logger, string endpoint, Func<JsonDocument, GenerationRequest> parse, Func<IResponseShape> newShape,
        TimeSpan heartbeat, TimeProvider time)
    {
        GenerationRun run;
        GenerationRequest request;
        IResponseShape shape;
        try
        {
            ApiErrors.RequireJsonContentType(http);
            if (engine.IsStopping)
                throw ErrorMapping.ShuttingDown();
            // The one readiness check: a ready engine has its model and keeps it.
            if (!engine.IsReady || engine.Served is not { } served || engine.Model is not { } info)
                throw ErrorMapping.NotReady();
            using var body = await ApiErrors.ReadJsonAsync(http).ConfigureAwait(false);
            request = parse(body);
            if (request.Model != model.Id)
                throw ApiException.ModelNotFound(request.Model);
            shape = newShape();
            var processed = inputs.Process(request, served, info.MaxModelLength);
            var stream = Submit(engine, processed);
            run = new GenerationRun(shape.Id, endpoint, model.Id, stream, new OutputProcessor(stream, processed, served.Tokenizer),
                request.Stream, logger, metrics);
        }
        catch (ApiException ex)
        {
            RequestLog.Refused(logger, http.TraceIdentifier, endpoint, ex.StatusCode, ex.Error.Code);
            metrics.HttpResponses.WithLabels(endpoint, ex.StatusCode.ToString()).Inc();
            return ApiErrors.ToResult(http, ex);
        }
        metrics.HttpResponses.WithLabels(endpoint, "200").Inc();

        if (request.Stream)
            return new SseStreamResult(StreamAsync(run, shape, request, http.RequestAborted), heartbeat, time);
        return await CollectAsync(http, run, shape, request).ConfigureAwait(false);
    }

    private static GenerationStream Submit(EngineClient engine, ProcessedRequest processed)
    {
        try
        {
            return engine.Submit(processed.PromptTokenIds, processed.Sampling, processed.Request.N);
        }
        catch (EngineRejectedException ex)
        {
            throw ErrorMapping.FromRejection(ex, processed.PromptParam);
        }
    }

    private static async Task<IResult> CollectAsync(HttpContext http, GenerationRun run, IResponseShape shape, GenerationRequest request)
    {
        var replies = Enumerable.Range(0, run.Stream.NumChoices).Select(_ => new ChoiceReply(request.Sampling.Logprobs is not null)).ToArray();
        try
        {
            await foreach (var e in run.Output.ReadAsync(http.RequestAborted).ConfigureAwait(false))
            {
                run.Observe(e);
                replies[e.ChoiceIndex].Observe(e);
            }
        }
        catch (GenerationFailedException ex)
        {
            run.Failed();
            return ApiErrors.ToResult(http, new ApiException(StatusCodes.Status500InternalServerError,
                new ErrorDetail(ex.Message, "server_error", null, "generation_failed")));
        }
        finally
        {
            run.Complete();
        }
        if (!run.Output.AllCompleted)
            return ApiErrors.ToResult(http, Aborted());
        return Results.Text(shape.Full(replies, run.Output.Usage), "application/json", Encoding.UTF8);
    }

    private static async IAsyncEnumerable<string> StreamAsync(GenerationRun run, IResponseShape shape,
        GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? error = null;
        string errorCode = "generation_failed";
        try
        {
            for (int i = 0; i < run.Stream.NumChoices; i++)
                if (shape.FirstChunk(i) is { } first)
                    yield return first;
            await using var events = run.Output.ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                        break;
                }
                catch (GenerationFailedException ex)
                {
                    run.Failed();
                    error = ex.Message;
                    break;
                }
                var e = events.Current;
                run.Observe(e);
                if (e.FinishReason is not (null or FinishReason.Stop or FinishReason.Length))
                    break;
                if (e.FinishReason is not null || e.HasOutput)
                    yield return shape.EventChunk(e);
            }
        }
        finally
        {
            // A client gone while the first chunks were written never reached the reader above: abort its sequences here.
            await run.Stream.DisposeAsync().ConfigureAwait(false);
            run.Complete();
        }

        if (error is null && !run.Output.AllCompleted)
            (error, errorCode) = (Aborted().Message, Aborted().Error.Code!);
        if (error is not null)
            yield return ApiErrors.Serialize(new ErrorDetail(error, "server_error", null, errorCode));
        else if (request.IncludeUsage)
            yield return shape.UsageChunk(run.Output.Usage);
        yield return "[DONE]";
    }

    private static ApiException Aborted() => new(StatusCodes.Status503ServiceUnavailable,
        new ErrorDetail("The request was cancelled by the server.", "server_error", null, "cancelled"));
}
