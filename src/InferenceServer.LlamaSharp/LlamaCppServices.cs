using InferenceServer.Engine.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceServer.LlamaSharp;

/// <summary>Registers the llama.cpp model in a service collection: one composition for the server and the bench.</summary>
public static class LlamaCppServices
{
    /// <summary>
    /// Adds the model host (<see cref="LlamaModelHost"/>), its <see cref="Engine.Models.ModelCard"/> and the llama.cpp
    /// runner factory. Needs <c>IOptions&lt;ModelOptions&gt;</c> and logging.
    /// </summary>
    public static IServiceCollection AddLlamaCppRunner(this IServiceCollection services)
    {
        services.AddSingleton<LlamaModelHost>();
        services.AddSingleton(sp => sp.GetRequiredService<LlamaModelHost>().Card);
        services.AddSingleton<IModelRunnerFactory, LlamaModelRunnerFactory>();
        return services;
    }
}
