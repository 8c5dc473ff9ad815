using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Metrics;
using InferenceServer.Api.Options;
using InferenceServer.Api.Page;
using InferenceServer.Api.Serving;
using InferenceServer.Engine;
using Prometheus;
using Serilog;

namespace InferenceServer.Api.Hosting;

/// <summary>
/// Composes the server: <see cref="AddInferenceServer"/> registers its services, <see cref="UseInferenceServer"/> its
/// middleware and <see cref="MapInferenceServer"/> its endpoints, so <c>Program.cs</c> only calls the three.
/// </summary>
public static class InferenceServerHosting
{
    /// <summary>
    /// Registers logging, the validated options, the engine on llama.cpp, the serving pipeline, metrics, rate limits,
    /// CORS, the wire JSON and Swagger; binds 127.0.0.1:8000 unless <c>urls</c> is configured.
    /// </summary>
    public static WebApplicationBuilder AddInferenceServer(this WebApplicationBuilder builder)
    {
        // Defaults live in code so the server behaves the same from any working directory; configuration overrides them.
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
            builder.WebHost.UseUrls("http://127.0.0.1:8000");
        builder.Services.AddSerilog((services, log) => log
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("llama.cpp", Serilog.Events.LogEventLevel.Warning)
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"));

        builder.Services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var server = ServerOptionsOf(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddLlamaCpp();
        builder.Services.AddEngine();
        builder.Services.AddSingleton<InputProcessor>();
        builder.Services.AddSingleton<GenerationServing>();
        builder.Services.AddSingleton<GracefulDrain>();
        builder.Services.AddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddRateLimiter(o => GenerationRateLimits.Configure(o, server));
        builder.AddHttpSurface(server);
        return builder;
    }

    /// <summary>
    /// Installs the middleware in order: OpenAI-shaped errors, CORS (with <c>Vary: Origin</c>), the page files, API-key
    /// authentication, rate limits, Swagger.
    /// </summary>
    public static WebApplication UseInferenceServer(this WebApplication app)
    {
        app.UseOpenAiErrors();
        if (ServerOptionsOf(app.Configuration).CorsOrigins.Length > 0)
        {
            // CORS headers depend on the Origin header, so shared caches must not reuse one origin's response for another.
            app.Use((http, next) =>
            {
                http.Response.Headers.Append("Vary", "Origin");
                return next(http);
            });
            app.UseCors();
        }
        app.UsePageFiles();
        app.UseMiddleware<ApiKeyAuthentication>();
        app.UseRateLimiter();
        app.UseSwagger();
        app.UseSwaggerUI();
        return app;
    }

    /// <summary>
    /// Maps the health probes, <c>/metrics</c>, the <c>/v1</c> group (generation, models, capabilities, KV cache) and the
    /// pages; on SIGTERM the server drains before Kestrel stops.
    /// </summary>
    public static WebApplication MapInferenceServer(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).WithName("Liveness").WithSummary("200 while the process runs.");
        app.MapGet("/health/ready", (EngineClient engine) => engine.IsReady
                ? Results.Ok(new { status = "ready" })
                : Results.Json(new { status = "not ready" }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("Readiness").WithSummary("200 once the model is loaded and the engine runs; 503 before and while draining.");
        app.MapMetrics("/metrics", app.Services.GetRequiredService<InferenceMetrics>().Registry);

        var v1 = app.MapGroup("/v1");
        v1.MapGeneration();
        v1.MapModels();
        v1.MapCapabilities();
        v1.MapEngineKv();
        app.MapPages(v1);

        // SIGTERM: drain before Kestrel stops (the callback runs before any service is stopped).
        app.Lifetime.ApplicationStopping.Register(() => app.Services.GetRequiredService<GracefulDrain>().Drain());
        return app;
    }

    // CORS, the wire JSON (snake_case, UTF-8 text unescaped, source-generated contracts first) and Swagger.
    private static void AddHttpSurface(this WebApplicationBuilder builder, ServerOptions server)
    {
        builder.Services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (server.CorsOrigins.Contains("*"))
                policy.AllowAnyOrigin();
            else
                policy.WithOrigins(server.CorsOrigins);
            policy.AllowAnyHeader().AllowAnyMethod();
        }));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Wire);
        });
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new() { Title = "InferenceServer", Version = "v1",
                Description = "OpenAI-compatible chat completions and completions over a continuous-batching llama.cpp engine." });
            o.OperationFilter<RequestBodyDocumentation>();
        });
    }

    // Read unvalidated for the composition itself (body limit, CORS, rate limits); ValidateOnStart refuses bad values.
    private static ServerOptions ServerOptionsOf(IConfiguration configuration) =>
        configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();
}
