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

    /// <summary>
    /// Makes LLamaSharp load llama.cpp from <paramref name="llamaLibrary"/> (see <see cref="ModelOptions.NativeLibrary"/>)
    /// instead of its prebuilt backend. Its ggml libraries are found the way the operating system finds a library's
    /// dependencies (the build's run path, or the same folder).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="llamaLibrary"/>.</exception>
    /// <exception cref="InvalidOperationException">llama.cpp is loaded already (a different library cannot replace it).</exception>
    public static void UseLibrary(string llamaLibrary)
    {
        string path = Path.GetFullPath(llamaLibrary);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No llama.cpp library at {path}.", path);
        lock (_gate)
        {
            if (_library == path)
                return;
            if (NativeLibraryConfig.LLama.LibraryHasLoaded)
                throw new InvalidOperationException($"llama.cpp is loaded already; {path} cannot replace it.");
            NativeLibraryConfig.All.WithLibrary(path, null);
            _library = path;
        }
    }

    private static string? _library;

    /// <summary>The library given to <see cref="UseLibrary"/>, full path; null while LLamaSharp's own backend is in use.</summary>
    public static string? Library
    {
        get
        {
            lock (_gate)
                return _library;
        }
    }

    /// <summary>
    /// Throws when the library chosen by <see cref="UseLibrary"/> does not speak the llama.cpp API LLamaSharp was built
    /// for: its default context parameters, read through LLamaSharp's struct, must come out as llama.cpp sets them
    /// (a library of another version shifts the fields). No-op for LLamaSharp's own backend. Loads llama.cpp.
    /// </summary>
    /// <exception cref="InvalidOperationException">The library's parameters do not line up with LLamaSharp's.</exception>
    public static void CheckLibrary()
    {
        string? path;
        lock (_gate)
            path = _library;
        if (path is null)
            return;
        // Through NativeApi first: its static constructor installs LLamaSharp's library resolver.
        _ = NativeApi.llama_max_devices();
        var p = LLamaContextParams.Default();
        bool lines = p.n_batch == 2048 && p.n_ubatch == 512 && p.n_seq_max == 1 && p.n_threads > 0 && p.n_threads == p.n_threads_batch
            && p.yarn_ext_factor == -1f && p.defrag_threshold == -1f && p.type_k == GGMLType.GGML_TYPE_F16 && p.type_v == GGMLType.GGML_TYPE_F16;
        if (!lines)
            throw new InvalidOperationException(
                $"The llama.cpp library {path} does not match the llama.cpp API LLamaSharp was built for (its default context " +
                $"parameters read n_batch {p.n_batch}, n_ubatch {p.n_ubatch}, n_seq_max {p.n_seq_max}, type_k {p.type_k}); build the " +
                "llama.cpp version README names, or leave Model:NativeLibrary empty.");
    }

    /// <summary>
    /// Null when <paramref name="llamaLibrary"/> loads and lines up with LLamaSharp (<see cref="UseLibrary"/>, then
    /// <see cref="CheckLibrary"/>), else why not in one line. Loads the library, so it runs once, at start.
    /// </summary>
    public static string? LibraryProblem(string llamaLibrary)
    {
        try
        {
            UseLibrary(llamaLibrary);
            CheckLibrary();
            return null;
        }
        catch (Exception ex)
        {
            // Whatever the loader says about a file that is not a llama.cpp library: a missing symbol, a bad image, ...
            var cause = ex is TypeInitializationException { InnerException: { } inner } ? inner : ex;
            string reason = cause.Message.Split('\n')[0].Trim();
            return $"{llamaLibrary} is not a llama.cpp library LLamaSharp can use ({cause.GetType().Name}: {reason})";
        }
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
