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
    // Lines llama.cpp logs on this thread while a call is being watched (see CaptureOnThisThread).
    [ThreadStatic] private static List<string>? t_captured;

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

    /// <summary>
    /// Runs <paramref name="call"/> and returns the lines llama.cpp logged from it. llama.cpp logs synchronously on the
    /// calling thread, so the lines are exactly this call's (grammar parse errors are only reported this way).
    /// </summary>
    internal static (T Result, IReadOnlyList<string> Lines) CaptureOnThisThread<T>(Func<T> call)
    {
        EnsureRegistered();
        var lines = t_captured = [];
        try
        {
            return (call(), lines);
        }
        finally
        {
            t_captured = null;
        }
    }

    private static void Forward(LLamaLogLevel level, string message)
    {
        t_captured?.Add(message);
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
