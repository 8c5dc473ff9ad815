namespace InferenceServer.Engine;

/// <summary>Element type of the KV cache (llama.cpp <c>type_k</c>/<c>type_v</c>).</summary>
public enum KvCacheType
{
    /// <summary>16-bit floats: 2 bytes per element.</summary>
    F16,
    /// <summary>8-bit blocks of 32 with an f16 scale: 34 bytes per 32 elements (ggml Q8_0).</summary>
    Q8_0,
    /// <summary>4-bit blocks of 32 with an f16 scale: 18 bytes per 32 elements (ggml Q4_0).</summary>
    Q4_0,
}

/// <summary>Sizes of <see cref="KvCacheType"/> elements, from ggml's block layouts.</summary>
public static class KvCacheTypes
{
    /// <summary>Bytes per element: 2 (f16), 34/32 (q8_0), 18/32 (q4_0).</summary>
    public static double BytesPerElement(this KvCacheType type) => type switch
    {
        KvCacheType.Q8_0 => 34.0 / 32,
        KvCacheType.Q4_0 => 18.0 / 32,
        _ => 2.0,
    };

    /// <summary>True for the block-quantized types, whose V cache needs llama.cpp's flash attention.</summary>
    public static bool IsQuantized(this KvCacheType type) => type != KvCacheType.F16;
}
