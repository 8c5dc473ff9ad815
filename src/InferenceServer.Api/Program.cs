using InferenceServer.Api.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
if (ConfigurationCheck.Problem(builder.Configuration, LlamaCppHosting.ConfigurationProblem) is { } problem)
{
    Console.Error.WriteLine($"Invalid configuration: {problem}");
    return 2;
}
builder.AddInferenceServer();

var app = builder.Build();
app.UseInferenceServer();
app.MapInferenceServer();

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
