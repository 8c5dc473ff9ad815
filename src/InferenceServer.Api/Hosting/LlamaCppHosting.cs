using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Composes llama.cpp (through LLamaSharp) into the app: the one place the Api names the LLamaSharp adapter. Everything
/// else sees the model through the engine: <see cref="ModelCard"/>, and the runner factory's <see cref="ServedModel"/>.
/// </summary>
internal static class LlamaCppHosting
{
    /// <summary>
    /// Registers the <c>Model</c> options (validated at start), the model host, its <see cref="ModelCard"/> and the
    /// llama.cpp runner factory.
    /// </summary>
    public static IHostApplicationBuilder AddLlamaCpp(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.Path) || File.Exists(o.Path),
                $"Model:Path names no file (working directory: {Environment.CurrentDirectory}).")
            .ValidateOnStart();
        services.AddLlamaCppRunner();
        return builder;
    }

    /// <summary>What is wrong with the <c>Model</c> section; null when nothing is (see <see cref="ConfigurationCheck"/>).</summary>
    public static string? ConfigurationProblem(IConfiguration configuration) =>
        ConfigurationCheck.Validate<ModelOptions>(configuration, ModelOptions.SectionName)
        ?? (configuration.GetSection(ModelOptions.SectionName).Get<ModelOptions>()?.NativeLibrary is { Length: > 0 } library
            && LlamaNativeSetup.LibraryProblem(library) is { } problem ? $"Model:NativeLibrary: {problem}" : null);
}
