using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;
using InferenceServer.LlamaSharp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InferenceServer.Api.Endpoints;

/// <summary><c>GET /v1/models</c>, <c>GET /v1/models/{id}</c> and <c>GET /v1/engine/stats</c>.</summary>
public static class ModelEndpoints
{
    /// <summary>Maps the endpoints on <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapModels(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListModels)
            .WithName("ListModels").WithSummary("Lists the served model (OpenAI-compatible).");
        v1.MapGet("/models/{id}", GetModel)
            .WithName("RetrieveModel").WithSummary("Retrieves the served model by id; 404 for any other id.")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        v1.MapGet("/engine/stats", GetStats)
            .WithName("EngineStats")
            .WithSummary("Engine books: sequences running and waiting, KV blocks total and free, preemptions, token totals.");
        return v1;
    }

    private static ModelObject Describe(LlamaModelHost model) => new(model.ModelId, model.CreatedUnixSeconds, "inference-server");

    private static Ok<ModelList> ListModels(LlamaModelHost model) => TypedResults.Ok(new ModelList([Describe(model)]));

    private static IResult GetModel(string id, LlamaModelHost model, HttpContext http) =>
        id == model.ModelId ? TypedResults.Ok(Describe(model)) : ApiErrors.ToResult(http, ApiException.ModelNotFound(id));

    private static Ok<EngineStats> GetStats(EngineClient engine) => TypedResults.Ok(engine.Stats);
}
