using System.Security.Cryptography;
using InferenceServer.ModelGeneration;
using LLama;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>File-level behaviour of the writer: determinism, atomic writes, quantization.</summary>
[Collection("llama")]
public sealed class SyntheticModelWriterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "synthetic-writer-tests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void SameSeedGivesIdenticalBytesAndDifferentSeedDiffers()
    {
        var first = WriteTiny(seed: 1, "a.gguf");
        var second = WriteTiny(seed: 1, "b.gguf");
        var other = WriteTiny(seed: 2, "c.gguf");

        Assert.Equal(Sha256(first), Sha256(second));
        Assert.NotEqual(Sha256(first), Sha256(other));
        Assert.Equal(new FileInfo(first).Length, new FileInfo(other).Length);
    }

    [Fact]
    public void FileStartsWithGgufV3Header()
    {
        var bytes = File.ReadAllBytes(WriteTiny(seed: 3, "header.gguf"));

        Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
        Assert.Equal(3u, BitConverter.ToUInt32(bytes, 4));
        Assert.Equal(3L + 9 * SyntheticModelSpec.Tiny.LayerCount, BitConverter.ToInt64(bytes, 8));
    }

    [Fact]
    public void WriteReplacesExistingFileAndLeavesNoTemporaryFiles()
    {
        var path = Path.Combine(_directory, "replace.gguf");
        Directory.CreateDirectory(_directory);
        File.WriteAllText(path, "stale");

        SyntheticModelWriter.Write(SyntheticModelSpec.Tiny, 4, path);

        Assert.True(new FileInfo(path).Length > 1_000_000);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void CancelledWriteLeavesNothingBehind()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var path = Path.Combine(_directory, "cancelled.gguf");

        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticModelWriter.Write(SyntheticModelSpec.Tiny, 5, path, cancelled.Token));

        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void InvalidSpecIsRejectedBeforeWriting()
    {
        var spec = SyntheticModelSpec.Tiny with { KvHeadCount = 3 };

        Assert.Throws<ArgumentException>(() => SyntheticModelWriter.Write(spec, 1, Path.Combine(_directory, "bad.gguf")));
        Assert.False(Directory.Exists(_directory));
    }

    [Theory]
    [InlineData(LLamaFtype.MOSTLY_Q8_0)]
    [InlineData(LLamaFtype.MOSTLY_Q4_K_M)]
    public void QuantizedModelLoads(LLamaFtype fileType)
    {
        var source = WriteTiny(seed: 6, "f16.gguf");
        var target = Path.Combine(_directory, $"{fileType}.gguf");

        SyntheticModelWriter.Quantize(source, target, fileType, threads: 1);

        Assert.True(new FileInfo(target).Length < new FileInfo(source).Length);
        using var weights = LLamaWeights.LoadFromFile(TinyModelFixture.CreateParams(target));
        Assert.Equal(((int)fileType).ToString(), weights.Metadata["general.file_type"]);
        Assert.Equal((ulong)SyntheticModelSpec.Tiny.ParameterCount, weights.ParameterCount);
    }

    [Fact]
    public void QuantizeRejectsMissingSource()
    {
        Assert.Throws<FileNotFoundException>(() =>
            SyntheticModelWriter.Quantize(Path.Combine(_directory, "missing.gguf"), Path.Combine(_directory, "out.gguf"), LLamaFtype.MOSTLY_Q8_0));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    private string WriteTiny(int seed, string fileName)
    {
        var path = Path.Combine(_directory, fileName);
        SyntheticModelWriter.Write(SyntheticModelSpec.Tiny, seed, path);
        return path;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
