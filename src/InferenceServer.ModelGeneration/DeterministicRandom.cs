namespace InferenceServer.ModelGeneration;

/// <summary>
/// Small, fully specified pseudo random generator (xoshiro256** seeded through SplitMix64) so generated
/// weights are byte-identical across .NET versions and platforms, unlike <see cref="Random"/> whose seeded
/// algorithm is an implementation detail.
/// </summary>
internal struct DeterministicRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private const double Sqrt3 = 1.7320508075688772;

    /// <summary>Creates a stream for <paramref name="seed"/> mixed with a stable hash of <paramref name="streamName"/>.</summary>
    public DeterministicRandom(int seed, string streamName)
    {
        var state = (ulong)(uint)seed ^ Fnv1A64(streamName);
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>Next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>
    /// Approximately standard normal sample: the Irwin–Hall sum of four 32-bit uniforms, centred and scaled to
    /// unit variance (support ±3.46). Uses only exactly rounded IEEE arithmetic, so results never depend on
    /// the platform's <c>Math.Log</c>/<c>Math.Sin</c> implementation.
    /// </summary>
    public double NextGaussian()
    {
        var a = NextUInt64();
        var b = NextUInt64();
        var sum = (double)(uint)a + (double)(a >> 32) + (double)(uint)b + (double)(b >> 32) + 2.0;
        return (sum * (1.0 / 4294967296.0) - 2.0) * Sqrt3;
    }

    /// <summary>64-bit FNV-1a over the UTF-16 code units of <paramref name="text"/>.</summary>
    public static ulong Fnv1A64(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
