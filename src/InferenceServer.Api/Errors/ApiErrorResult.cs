using System.Text;
using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Errors;

/// <summary>An OpenAI error response: <paramref name="Error"/> as JSON with <paramref name="StatusCode"/>, and <c>Retry-After</c> on 429.</summary>
public sealed record ApiErrorResult(int StatusCode, ErrorDetail Error) : IResult, IStatusCodeHttpResult
{
    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (StatusCode == StatusCodes.Status429TooManyRequests)
            httpContext.Response.Headers.RetryAfter = ApiErrors.RetryAfterSeconds.ToString();
        return Results.Text(ApiErrors.Serialize(Error), "application/json", Encoding.UTF8, StatusCode).ExecuteAsync(httpContext);
    }
}
