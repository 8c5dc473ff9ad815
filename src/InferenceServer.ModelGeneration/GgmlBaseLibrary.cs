using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using LLama.Native;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// Makes <see cref="GgufNative"/> bind to the very <c>libggml-base</c> that LLamaSharp loaded as a dependency
/// of its <c>libllama</c>, so the GGUF writer and the inference engine share one copy of ggml.
/// </summary>
/// <remarks>
/// LLamaSharp picks a native build at runtime (CPU feature level, CUDA, user supplied path) and loads
/// <c>libggml-base</c> from the same directory as <c>libllama</c>. We therefore force LLamaSharp to load first,
/// find where its <c>libllama</c> lives, and load <c>libggml-base</c> from that directory through a
/// <see cref="NativeLibrary.SetDllImportResolver"/> hook for this assembly (which only answers for
/// <see cref="GgufNative.LibraryName"/>).
/// Loading llama.cpp makes it log; an application that routes llama.cpp's log (the server's <c>LlamaNativeSetup</c>)
/// registers its callback before the first model is generated, otherwise the lines go to stderr.
/// </remarks>
internal static class GgmlBaseLibrary
{
    private static readonly Lock _gate = new();
    private static nint _handle;

    /// <summary>Loads LLamaSharp's native backend and installs the resolver (idempotent, thread-safe).</summary>
    /// <exception cref="DllNotFoundException">No <c>libggml-base</c> could be located.</exception>
    /// <exception cref="InvalidOperationException">
    /// Another DllImport resolver is already registered for this assembly (.NET allows only one per assembly).
    /// </exception>
    internal static void EnsureResolved()
    {
        lock (_gate)
        {
            if (_handle != 0)
                return;
            var handle = Load();
            NativeLibrary.SetDllImportResolver(typeof(GgmlBaseLibrary).Assembly, Resolve);
            _handle = handle;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == GgufNative.LibraryName ? _handle : 0;

    private static nint Load()
    {
        // Any NativeApi call runs LLamaSharp's static constructor, which selects and loads libllama
        // together with its ggml dependencies.
        NativeApi.llama_empty_call();

        var tried = new List<string>();
        foreach (var candidate in CandidatePaths())
        {
            tried.Add(candidate);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }

        // Last resort: the runtime's default probing (application directory, LD_LIBRARY_PATH, ...).
        if (NativeLibrary.TryLoad(GgufNative.LibraryName, typeof(GgmlBaseLibrary).Assembly, null, out var fallback))
            return fallback;

        throw new DllNotFoundException(
            $"Could not locate {FileName} next to LLamaSharp's libllama. Tried: {string.Join(", ", tried)}");
    }

    private static IEnumerable<string> CandidatePaths()
    {
        var llamaPath = LoadedLlamaPath();
        if (llamaPath is not null)
            yield return Path.Combine(Path.GetDirectoryName(llamaPath)!, FileName);

        if (OperatingSystem.IsLinux() && FindMappedModule(m => Path.GetFileName(m) == FileName) is { } mapped)
            yield return mapped;

        foreach (var relative in SelectedLibraryPaths())
        {
            var directory = Path.GetDirectoryName(Path.Combine(AppContext.BaseDirectory, relative));
            if (directory is not null)
                yield return Path.Combine(directory, FileName);
        }
    }

    private static string FileName =>
        OperatingSystem.IsWindows() ? "ggml-base.dll"
        : OperatingSystem.IsMacOS() ? "libggml-base.dylib"
        : "libggml-base.so";

    /// <summary>Absolute path of the <c>libllama</c> module LLamaSharp loaded, when the OS lets us ask.</summary>
    private static string? LoadedLlamaPath()
    {
        try
        {
            // Routed through LLamaSharp's own resolver, which hands back its cached handle.
            if (!NativeLibrary.TryLoad("llama", typeof(NativeApi).Assembly, null, out var llama))
                return null;
            if (OperatingSystem.IsWindows())
                return WindowsModulePath(llama);
            if (OperatingSystem.IsLinux())
            {
                var address = (ulong)NativeLibrary.GetExport(llama, "llama_max_devices");
                return FindMappedModule(null, address);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException
                                      or DllNotFoundException or BadImageFormatException)
        {
            // Fall through to the other strategies.
        }
        return null;
    }

    /// <summary>Relative paths LLamaSharp's selected library reports (e.g. runtimes/linux-x64/native/avx2/libllama.so).</summary>
    private static IEnumerable<string> SelectedLibraryPaths()
    {
        var library = NativeApi.GetLoadedNativeLibrary(NativeLibraryName.LLama);
        return library?.Prepare(SystemInfo.Get(), null) ?? [];
    }

    /// <summary>
    /// Scans <c>/proc/self/maps</c> for a file-backed mapping that either contains <paramref name="address"/>
    /// or whose path satisfies <paramref name="match"/>.
    /// </summary>
    private static string? FindMappedModule(Func<string, bool>? match, ulong address = 0)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // Format: start-end perms offset dev inode [path]
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || !parts[5].StartsWith('/'))
                continue;
            var path = parts[5].Trim();
            if (match is not null && match(path))
                return path;
            if (match is null && Contains(parts[0], address))
                return path;
        }
        return null;
    }

    private static bool Contains(string range, ulong address)
    {
        var dash = range.IndexOf('-');
        var start = ulong.Parse(range.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var end = ulong.Parse(range.AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return address >= start && address < end;
    }

    private static unsafe string? WindowsModulePath(nint module)
    {
        var buffer = stackalloc char[32768];
        var length = GetModuleFileNameW(module, buffer, 32768);
        return length == 0 ? null : new string(buffer, 0, (int)length);
    }

    [DllImport("kernel32", ExactSpelling = true)]
    private static extern unsafe uint GetModuleFileNameW(nint module, char* fileName, uint size);
}
