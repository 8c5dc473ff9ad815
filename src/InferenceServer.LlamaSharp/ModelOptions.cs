using System.ComponentModel.DataAnnotations;

namespace InferenceServer.LlamaSharp;

/// <summary>Which model to serve, bound from the <c>Model</c> configuration section (<c>--Model:Path</c>, <c>Model__Path</c>).</summary>
public sealed class ModelOptions
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
