using System.Runtime.CompilerServices;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// Registers the server's llama.cpp log callback before any test loads llama.cpp (the model generator does not route
/// llama.cpp's log itself), so model loads and generation stay off stderr as in the server.
/// </summary>
internal static class LlamaLogRouting
{
    [ModuleInitializer]
    internal static void Register() => LlamaNativeSetup.EnsureRegistered();
}
