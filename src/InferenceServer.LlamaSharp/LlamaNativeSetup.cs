using LLama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Routes llama.cpp's log lines into <see cref="ILogger"/> (category <c>llama.cpp</c>) instead of stderr. Safe to
/// call before or after the native library has loaded, from any entry point that touches it (the model host, the
/// GGUF writer): the callback is registered once and forwards to whichever logger was configured last.
/// </summary>
public static class LlamaNativeSetup
{
    private static readonly Lock _gate = new();
    // Held in a static field: llama.cpp keeps the function pointer, so the delegate must never be collected.
    private static readonly NativeLogConfig.LLamaLogCallback _callback = Forward;
    private static volatile ILogger _logger = NullLogger.Instance;
    private static bool _registered;

    /// <summary>Sends llama.cpp's log lines to <paramref name="loggerFactory"/> from now on.</summary>
    public static void Configure(ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("llama.cpp");
        EnsureRegistered();
    }

    /// <summary>Registers the log callback if nobody has yet; until <see cref="Configure"/> runs, lines are dropped.</summary>
    public static void EnsureRegistered()
    {
        lock (_gate)
        {
            if (_registered)
                return;
            // Before the library loads this only records the callback; after, it hands it straight to llama.cpp.
            NativeLogConfig.llama_log_set(_callback);
            _registered = true;
        }
    }

    private static void Forward(LLamaLogLevel level, string message)
    {
        var mapped = level switch
        {
            LLamaLogLevel.Error => LogLevel.Error,
            LLamaLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Trace,
        };
        var logger = _logger;
        if (logger.IsEnabled(mapped))
            logger.Log(mapped, "{Message}", message.TrimEnd());
    }
}
