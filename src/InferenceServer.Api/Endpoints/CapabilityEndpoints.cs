using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Endpoints;

/// <summary><c>GET /v1/capabilities</c>: what this server and its model support, from the field table and the engine.</summary>
internal static class CapabilityEndpoints
{
    /// <summary>Maps the endpoint on <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapCapabilities(this RouteGroupBuilder v1)
    {
        v1.MapGet("/capabilities", GetCapabilities)
            .WithName("Capabilities")
            .WithSummary("What this server and model support: endpoints, request fields per endpoint (implemented, ignored, " +
                "unsupported), KV cache type, block size, max model length, chat template and its probed capabilities, tools, structured outputs, logprobs.");
        return v1;
    }

    private static Ok<Capabilities> GetCapabilities(EngineClient engine, ModelCard card, IOptions<EngineOptions> options,
        EndpointDataSource endpoints)
    {
        // The engine has a model only after it loaded, so both model facts appear together.
        var loaded = engine.Model;
        var chat = engine.Served?.ChatTemplate;
        var kvType = loaded?.KvShape?.Type ?? options.Value.KvCacheType;
        return TypedResults.Ok(new Capabilities(
            card.Id,
            Routes(endpoints),
            new GenerationRequestFields(Lists(RequestFields.Chat), Lists(RequestFields.Completion)),
            kvType.ToString().ToLowerInvariant(),
            options.Value.BlockSize,
            options.Value.ResolveKvLayout() == KvLayout.PerSequence ? "per_sequence" : "unified",
            options.Value.Deterministic,
            loaded is null ? null : options.Value.PrefixCaching && (loaded.NumCacheHolders > 0 || options.Value.ResolveKvLayout() == KvLayout.PerSequence),
            loaded?.MaxModelLength,
            loaded is null ? null : chat?.UsesModelTemplate,
            loaded is null || chat is null ? null : ChatTemplateReport.From(chat),
            Tools: RequestFields.IsImplemented(RequestFields.Chat, "tools"),
            StructuredOutputs: RequestFields.IsImplemented(RequestFields.Chat, "response_format"),
            Logprobs: RequestFields.IsImplemented(RequestFields.Chat, "logprobs")));
    }

    private static RequestFieldLists Lists(IReadOnlyList<RequestField> fields) => new(
        RequestFields.Names(fields, FieldSupport.Implemented),
        RequestFields.Names(fields, FieldSupport.Ignored),
        RequestFields.Names(fields, FieldSupport.Unsupported));

    // A route without method metadata (prometheus-net's /metrics) answers any method; it is listed as GET, its use.
    private static IReadOnlyList<string> Routes(EndpointDataSource endpoints) => endpoints.Endpoints
        .OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            .Select(method => $"{method} /{e.RoutePattern.RawText?.TrimStart('/')}"))
        .Distinct()
        .Order(StringComparer.Ordinal)
        .ToArray();
}
