using System.Text.Json.Serialization;

namespace InferenceServer.Engine.KvCache;

/// <summary>What a block is doing at the moment of a <see cref="KvCacheSnapshot"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<KvBlockState>))]
public enum KvBlockState
{
    /// <summary>Held by no sequence and holding nothing reusable.</summary>
    [JsonStringEnumMemberName("free")] Free,
    /// <summary>In at least one sequence's block table.</summary>
    [JsonStringEnumMemberName("in_use")] InUse,
    /// <summary>Held by no sequence but still in the prefix cache: reusable until it is evicted.</summary>
    [JsonStringEnumMemberName("cached_idle")] CachedIdle,
}
