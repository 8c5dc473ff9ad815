using InferenceServer.ModelGeneration;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Pure managed checks of the presets (no native code).</summary>
public sealed class SyntheticModelSpecTests
{
    public static TheoryData<string, long, long> Presets => new()
    {
        { "tiny", 800_000, 1_500_000 },
        { "small", 20_000_000, 30_000_000 },
        { "base", 100_000_000, 120_000_000 },
    };

    [Theory]
    [MemberData(nameof(Presets))]
    public void PresetsAreValidGqaModelsOfTheAdvertisedSize(string name, long minParams, long maxParams)
    {
        var spec = name switch { "tiny" => SyntheticModelSpec.Tiny, "small" => SyntheticModelSpec.Small, _ => SyntheticModelSpec.Base };

        spec.Validate();
        Assert.InRange(spec.ParameterCount, minParams, maxParams);
        Assert.True(spec.KvHeadCount < spec.HeadCount);
        Assert.True(spec.VocabSize >= 8192);
        Assert.Equal(4096, spec.ContextLength);
        Assert.Equal(SyntheticWeightType.F16, spec.WeightType);
    }

    [Fact]
    public void DemoIsTiny() => Assert.Same(SyntheticModelSpec.Tiny, SyntheticModelSpec.Demo);

    [Fact]
    public void CacheFileNameIsStableAndSensitiveToSpecAndSeed()
    {
        var tiny = SyntheticModelSpec.Tiny;

        Assert.Equal(tiny.GetCacheFileName(1), (tiny with { }).GetCacheFileName(1));
        Assert.NotEqual(tiny.GetCacheFileName(1), tiny.GetCacheFileName(2));
        Assert.NotEqual(tiny.GetCacheFileName(1), (tiny with { ContextLength = 2048 }).GetCacheFileName(1));
        Assert.NotEqual(tiny.GetCacheFileName(1), (tiny with { WeightType = SyntheticWeightType.F32 }).GetCacheFileName(1));
        Assert.NotEqual(tiny.GetCacheFileName(1), (tiny with { ChatTemplate = "{{ messages }}" }).GetCacheFileName(1));
    }

    [Theory]
    [InlineData(0, 64, 4, 2)]
    [InlineData(8192, 63, 4, 2)]
    [InlineData(8192, 64, 4, 3)]
    [InlineData(8192, 64, 0, 1)]
    [InlineData(100, 64, 4, 2)]
    public void InvalidShapesAreRejected(int vocab, int embd, int heads, int kvHeads)
    {
        var spec = SyntheticModelSpec.Tiny with { VocabSize = vocab, EmbeddingLength = embd, HeadCount = heads, KvHeadCount = kvHeads };

        Assert.Throws<ArgumentException>(spec.Validate);
    }

    [Fact]
    public void FileUnsafeNameIsRejected() =>
        Assert.Throws<ArgumentException>((SyntheticModelSpec.Tiny with { Name = "a/b" }).Validate);
}
