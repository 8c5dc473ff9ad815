using InferenceServer.Api.Contracts;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
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

    // created is 0 until the model has loaded.
    private static ModelObject Describe(ModelCard card, EngineClient engine) =>
        new(card.Id, engine.Served?.CreatedUnixSeconds ?? 0, "inference-server");

    private static Ok<ModelList> ListModels(ModelCard card, EngineClient engine) => TypedResults.Ok(new ModelList([Describe(card, engine)]));

    private static IResult GetModel(string id, ModelCard card, EngineClient engine, HttpContext http) =>
        id == card.Id ? TypedResults.Ok(Describe(card, engine)) : ApiErrors.ToResult(ApiException.ModelNotFound(id));

    // The engine thread answers between two steps; no request thread waits blocked meanwhile.
    private static async Task<Ok<EngineStats>> GetStats(EngineClient engine, HttpContext http) =>
        TypedResults.Ok(await engine.GetStatsAsync(http.RequestAborted).ConfigureAwait(false));
}
