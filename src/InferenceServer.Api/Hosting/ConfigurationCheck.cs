using System.ComponentModel.DataAnnotations;
using InferenceServer.Api.Options;
using InferenceServer.Engine;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Binds and validates the settings before anything is built, so a mistake (a value of the wrong type, one out of
/// range) ends the process with one line naming it and exit code 2, instead of an unhandled exception from wherever
/// the settings are first read.
/// </summary>
internal static class ConfigurationCheck
{
    /// <summary>
    /// What is wrong with the <c>Engine</c> section, the model's sections (<paramref name="modelProblem"/>, from the
    /// model backend's composition) and the <c>Server</c> section, in that order; null when nothing is.
    /// </summary>
    public static string? Problem(IConfiguration configuration, Func<IConfiguration, string?> modelProblem)
    {
        try
        {
            return Validate<EngineOptions>(configuration, EngineOptions.SectionName)
                ?? modelProblem(configuration)
                ?? Validate<ServerOptions>(configuration, ServerOptions.SectionName);
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>What is wrong with section <paramref name="section"/> bound to <typeparamref name="T"/>; null when nothing is.</summary>
    /// <exception cref="InvalidOperationException">A value does not convert to its property's type.</exception>
    public static string? Validate<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var options = configuration.GetSection(section).Get<T>() ?? new T();
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            return null;
        return string.Join(" ", results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
    }
}
