using InferenceServer.Api.Errors;
namespace InferenceServer.Api.Generation;

/// <summary>Errors of nested request fields named by their full path (e.g. <c>messages[2].role</c>).</summary>
internal static class Nested
{
    /// <summary>Runs <paramref name="read"/>, re-raising a field error with the full path <c>{at}.{field}</c>.</summary>
    public static T Read<T>(Func<T> read, string at, string field)
    {
        try
        {
            return read();
        }
        catch (ApiException ex) when (ex.Error.Param == field)
        {
            throw ApiException.BadRequest(ex.Message.Replace($"'{field}'", $"'{at}.{field}'"), $"{at}.{field}", ex.Error.Code);
        }
    }

    /// <summary>400 <c>missing_required_parameter</c> for <paramref name="param"/>.</summary>
    public static ApiException Missing(string param) =>
        ApiException.BadRequest($"Missing required parameter: '{param}'.", param, "missing_required_parameter");
}
