using System.Text.Json;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Streaming;

namespace InferenceServer.Api.Serving;

/// <summary>What differs between the generation endpoints: the name in logs and metrics, the parser and the response shape.</summary>
/// <param name="Name">Endpoint label in logs and metrics, e.g. <c>chat.completions</c>.</param>
/// <param name="Fields">The endpoint's request fields (<see cref="RequestFields"/>).</param>
/// <param name="Parse">Parses and validates the request body.</param>
/// <param name="NewShape">The response shape of one request, from the model id and the creation time (Unix seconds).</param>
internal sealed record GenerationEndpoint<TResponse>(
    string Name, IReadOnlyList<RequestField> Fields, Func<JsonDocument, GenerationRequest> Parse, Func<string, long, IResponseShape<TResponse>> NewShape);
