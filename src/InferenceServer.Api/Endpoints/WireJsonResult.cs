using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceServer.Api.Endpoints;

/// <summary>
/// A 200 <c>application/json</c> response of <typeparamref name="TValue"/> written with its source-generated contract
/// (<see cref="Contracts.ApiJsonContext.Wire"/>) and a <c>Content-Length</c>, as one buffered body.
/// </summary>
public sealed class WireJsonResult<TValue>(TValue value, JsonTypeInfo<TValue> json) : IResult, IValueHttpResult, IValueHttpResult<TValue>, IStatusCodeHttpResult
{
    /// <inheritdoc />
    public TValue Value { get; } = value;

    object? IValueHttpResult.Value => Value;

    int? IStatusCodeHttpResult.StatusCode => StatusCodes.Status200OK;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext) =>
        Results.Text(JsonSerializer.Serialize(Value, json), "application/json", Encoding.UTF8).ExecuteAsync(httpContext);
}
