using InferenceServer.Engine.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace InferenceServer.Engine;

/// <summary>Registers the engine in a service collection: one composition for the server and the bench.</summary>
public static class EngineServices
{
    /// <summary>
    /// Adds <see cref="EngineClient"/> and the <see cref="EngineLoop"/> hosted service, and the system clock unless a
    /// <see cref="TimeProvider"/> is registered. The engine also needs <c>IOptions&lt;EngineOptions&gt;</c>, an
    /// <see cref="IModelRunnerFactory"/>, logging and an <c>IHostApplicationLifetime</c>.
    /// </summary>
    public static IServiceCollection AddEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EngineClient>();
        services.AddHostedService<EngineLoop>();
        return services;
    }
}
