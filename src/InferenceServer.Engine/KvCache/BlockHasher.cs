using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace InferenceServer.Engine.KvCache;

/// <summary>
/// Chained block hashes for the prefix cache: hash(block i) = XXH64(hash(block i−1) ‖ token ids of block i), so
/// equal hashes mean equal whole prefixes, not just equal blocks (the scheme of vLLM's automatic prefix caching).
/// Nothing else changes KV contents in this server (one model, no adapters); a salt would join the first block.
/// </summary>
internal static class BlockHasher
{
    /// <summary>Hash of a full block of <paramref name="tokenIds"/> following a block hashed <paramref name="parent"/> (null for the first).</summary>
    public static ulong Hash(ulong? parent, ReadOnlySpan<int> tokenIds)
    {
        var hash = new XxHash64();
        Span<byte> parentBytes = stackalloc byte[8];
        BitConverter.TryWriteBytes(parentBytes, parent ?? 0x5EEDCAFEF00DUL);
        hash.Append(parentBytes);
        hash.Append(MemoryMarshal.AsBytes(tokenIds));
        return hash.GetCurrentHashAsUInt64();
    }
}
