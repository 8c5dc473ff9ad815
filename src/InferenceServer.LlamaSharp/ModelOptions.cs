using System.ComponentModel.DataAnnotations;

namespace InferenceServer.LlamaSharp;

/// <summary>Which model to serve, bound from the <c>Model</c> configuration section (<c>--Model:Path</c>, <c>Model__Path</c>).</summary>
public sealed class ModelOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>Path of a GGUF file. Empty (default) serves the built-in demo model.</summary>
    public string? Path { get; set; }

    /// <summary>Id served by /v1/models and expected in requests. Default: the file name without <c>.gguf</c>.</summary>
    public string? Id { get; set; }

    /// <summary>Folder for generated files such as the demo model. Default: <c>$XDG_CACHE_HOME/inference-server</c> or <c>~/.cache/inference-server</c>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Layers to offload to a GPU (needs the CUDA backend build); 0 keeps everything on the CPU.</summary>
    [Range(0, 1000)]
    public int GpuLayerCount { get; set; }

    /// <summary>
    /// Path of a <c>libllama.so</c> (<c>llama.dll</c>, <c>libllama.dylib</c>) built from the llama.cpp commit LLamaSharp's
    /// binaries come from (README: "A llama.cpp built for this machine"), loaded instead of LLamaSharp's prebuilt
    /// backend. Empty (default): the prebuilt CPU backend, whose variant (AVX, AVX2, AVX-512) is picked at run time.
    /// </summary>
    public string? NativeLibrary { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(NativeLibrary) && !File.Exists(NativeLibrary))
            yield return new ValidationResult($"names no file (working directory: {Environment.CurrentDirectory}).", [nameof(NativeLibrary)]);
    }

    /// <summary>The data folder, resolved.</summary>
    public string ResolveDataDirectory()
    {
        if (!string.IsNullOrWhiteSpace(DataDirectory))
            return DataDirectory;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(root, "inference-server");
    }
}
