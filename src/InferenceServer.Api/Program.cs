using System.Text.Json;
using System.Threading.RateLimiting;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Endpoints;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Hosting;
using InferenceServer.Api.Metrics;
using InferenceServer.Api.Options;
using InferenceServer.Api.Page;
using InferenceServer.Engine;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;

var builder = WebApplication.CreateBuilder(args);
if (ConfigurationCheck.Problem(builder.Configuration, LlamaCppHosting.ConfigurationProblem) is { } problem)
{
    Console.Error.WriteLine($"Invalid configuration: {problem}");
    return 2;
}

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
var server = builder.Configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes);

builder.Services.AddSingleton(TimeProvider.System);
builder.AddLlamaCpp();
builder.Services.AddSingleton<EngineClient>();
builder.Services.AddHostedService<EngineLoop>();
builder.Services.AddSingleton<InferenceServer.Api.Serving.InputProcessor>();
builder.Services.AddSingleton<InferenceServer.Api.Serving.GenerationServing>();
builder.Services.AddSingleton<GracefulDrain>();
builder.Services.AddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
builder.Services.AddSingleton<InferenceMetrics>();
builder.Services.AddRateLimiter(o => GenerationRateLimits.Configure(o, server));
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

var app = builder.Build();

app.UseExceptionHandler(error => error.Run(async http =>
{
    http.Response.StatusCode = StatusCodes.Status500InternalServerError;
    http.Response.ContentType = "application/json";
    await http.Response.WriteAsync(ApiErrors.Serialize(new ErrorDetail(
        "The server had an error while processing your request.", "server_error", null, null)));
}));
app.UseStatusCodePages(context => ApiErrors.WriteStatusCodeBodyAsync(context.HttpContext));
if (server.CorsOrigins.Length > 0)
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

try
{
    app.Run();
    return Environment.ExitCode;
}
catch (OptionsValidationException ex)
{
    // A configuration mistake: say what is wrong in one line instead of a stack trace.
    Console.Error.WriteLine($"Invalid configuration: {string.Join(" ", ex.Failures)}");
    return 2;
}


/// <summary>Entry point; public so integration tests can host the app.</summary>
public partial class Program;
