using System.Runtime.CompilerServices;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Metrics;
using InferenceServer.Api.Options;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Serving;

/// <summary>
/// The serving pipeline of the generation endpoints: body → parsed request → <see cref="InputProcessor"/> → engine →
/// <see cref="OutputProcessor"/> → response shape → one JSON response, or Server-Sent Events (content chunks, a
/// finish chunk per choice, an optional usage chunk, <c>[DONE]</c>, keep-alive comments while nothing else is sent).
/// Every refusal happens before the first byte. Like vLLM's <c>OpenAIServing</c>.
/// </summary>
internal sealed class GenerationServing(EngineClient engine, InputProcessor inputs, ModelCard model, InferenceMetrics metrics,
    ILoggerFactory loggers, IOptions<ServerOptions> server, TimeProvider time)
{
    private readonly ILogger _logger = loggers.CreateLogger("InferenceServer.Requests");

    /// <summary>Serves one request of <paramref name="endpoint"/>.</summary>
    public async Task<Results<WireJsonResult<TResponse>, SseStreamResult, ApiErrorResult>> ServeAsync<TResponse>(
        HttpContext http, GenerationEndpoint<TResponse> endpoint)
    {
        GenerationRun run;
        IResponseShape<TResponse> shape;
        try
        {
            (run, shape) = await StartAsync(http, endpoint).ConfigureAwait(false);
        }
        catch (ApiException ex)
        {
            RequestLog.Refused(_logger, http.TraceIdentifier, endpoint.Name, ex.StatusCode, ex.Error.Code);
            metrics.HttpResponses.WithLabels(endpoint.Name, ex.StatusCode.ToString()).Inc();
            return ApiErrors.ToResult(ex);
        }
        metrics.HttpResponses.WithLabels(endpoint.Name, "200").Inc();
        if (run.Request.Stream)
            return new SseStreamResult(StreamAsync(run, shape, http.RequestAborted), server.Value.SseHeartbeat, time);
        return await CollectAsync(run, shape, http.RequestAborted).ConfigureAwait(false);
    }

    private async Task<(GenerationRun, IResponseShape<TResponse>)> StartAsync<TResponse>(HttpContext http, GenerationEndpoint<TResponse> endpoint)
    {
        RequestBody.RequireJsonContentType(http);
        if (engine.IsStopping)
            throw ApiException.ShuttingDown();
        // The one readiness check: a ready engine has its model and keeps it.
        if (!engine.IsReady || engine.Served is not { } served || engine.Model is not { } info)
            throw ApiException.NotReady();
        using var body = await RequestBody.ReadJsonAsync(http).ConfigureAwait(false);
        if (!server.Value.IgnoreUnknownFields)
        {
            RequestFields.RefuseUnknown(body.RootElement, endpoint.Fields);
            NestedFields.RefuseUnknown(body.RootElement);
        }
        var request = endpoint.Parse(body);
        if (request.Model != model.Id)
            throw ApiException.ModelNotFound(request.Model);
        var shape = endpoint.NewShape(model.Id, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var processed = inputs.Process(request, served, info.MaxModelLength);
        var stream = Submit(processed);
        var output = new OutputProcessor(stream, processed, served.Tokenizer);
        return (new GenerationRun(shape.Id, endpoint.Name, model.Id, request, stream, output, _logger, metrics), shape);
    }

    private GenerationStream Submit(ProcessedRequest processed)
    {
        try
        {
            return engine.Submit(processed.PromptTokenIds, processed.Sampling, processed.Request.N);
        }
        catch (EngineRejectedException ex)
        {
            throw ApiException.FromRejection(ex, processed.Request.PromptParam);
        }
    }

    private static async Task<Results<WireJsonResult<TResponse>, SseStreamResult, ApiErrorResult>> CollectAsync<TResponse>(
        GenerationRun run, IResponseShape<TResponse> shape, CancellationToken cancellationToken)
    {
        bool withLogprobs = run.Request.Sampling.Logprobs is not null;
        var replies = Enumerable.Range(0, run.Output.NumChoices).Select(_ => new ChoiceReply(withLogprobs)).ToArray();
        try
        {
            await foreach (var e in run.Output.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                run.Observe(e);
                replies[e.ChoiceIndex].Observe(e);
            }
        }
        catch (GenerationFailedException ex)
        {
            run.Failed();
            return ApiErrors.ToResult(ApiException.GenerationFailed(ex.Message));
        }
        finally
        {
            run.Complete();
        }
        if (!run.Output.AllCompleted)
            return ApiErrors.ToResult(ApiException.Cancelled());
        return new WireJsonResult<TResponse>(shape.Full(replies, run.Output.Usage), shape.ResponseJson);
    }

    private static async IAsyncEnumerable<string> StreamAsync<TResponse>(GenerationRun run, IResponseShape<TResponse> shape,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ApiException? error = null;
        try
        {
            for (int i = 0; i < run.Output.NumChoices; i++)
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
                    error = ApiException.GenerationFailed(ex.Message);
                    break;
                }
                var e = events.Current;
                run.Observe(e);
                if (e.FinishReason is not (null or FinishReason.Stop or FinishReason.Length))
                    break;
                if (e.FinishReason is not null || e.HasOutput)
                    foreach (string chunk in shape.EventChunks(e))
                        yield return chunk;
            }
        }
        finally
        {
            // A client gone while the first chunks were written never reached the reader above: abort its sequences here.
            await run.Stream.DisposeAsync().ConfigureAwait(false);
            run.Complete();
        }

        if (error is null && !run.Output.AllCompleted)
            error = ApiException.Cancelled();
        if (error is not null)
            yield return ApiErrors.Serialize(error.Error);
        else if (run.Request.IncludeUsage)
            yield return shape.UsageChunk(run.Output.Usage);
        yield return "[DONE]";
    }
}
