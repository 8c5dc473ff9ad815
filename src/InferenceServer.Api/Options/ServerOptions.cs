using System.ComponentModel.DataAnnotations;

namespace InferenceServer.Api.Options;

/// <summary>HTTP-level limits and behaviour, bound from the <c>Server</c> configuration section.</summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Server";

    /// <summary>Largest request body accepted, in bytes; larger ones get 413. Default 8 MiB.</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBodyBytes { get; set; } = 8 << 20;
}
