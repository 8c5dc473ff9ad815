using LLama.Native;
using Microsoft.Extensions.Logging;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// One-time setup of the native llama.cpp library: routes its log lines into <see cref="ILogger"/>
/// (category <c>llama.cpp</c>) instead of stderr. Call before anything touches the native library.
/// </summary>
public static class LlamaNativeSetup
{
    private static int _done;

    /// <summary>Configures native logging once; later calls do nothing.</summary>
    public static void Configure(ILoggerFactory loggerFactory)
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
            return;
        var logger = loggerFactory.CreateLogger("llama.cpp");
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            var mapped = level switch
            {
                LLamaLogLevel.Error => LogLevel.Error,
                LLamaLogLevel.Warning => LogLevel.Warning,
                _ => LogLevel.Trace,
            };
            if (logger.IsEnabled(mapped))
                logger.Log(mapped, "{Message}", message.TrimEnd());
        });
    }
}
