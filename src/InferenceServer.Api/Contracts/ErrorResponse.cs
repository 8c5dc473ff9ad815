namespace InferenceServer.Api.Contracts;

/// <summary>OpenAI error body <c>{"error":{"message","type","param","code"}}</c> (schema ErrorResponse).</summary>
public sealed record ErrorResponse(ErrorDetail Error);

/// <summary>The error itself (schema Error).</summary>
/// <param name="Message">Human-readable explanation.</param>
/// <param name="Type">OpenAI error type, e.g. <c>invalid_request_error</c>.</param>
/// <param name="Param">The request field at fault, or null.</param>
/// <param name="Code">Machine-readable code, e.g. <c>context_length_exceeded</c>, or null.</param>
public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
