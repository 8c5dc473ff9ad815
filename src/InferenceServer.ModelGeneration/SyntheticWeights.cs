namespace InferenceServer.ModelGeneration;

/// <summary>Fills tensor buffers with seeded, reproducible values.</summary>
internal static class SyntheticWeights
{
    /// <summary>
    /// Writes <paramref name="tensor"/>'s values into <paramref name="data"/> (F32 or F16, row-major with ne0
    /// contiguous). The random stream depends only on the seed and the tensor name, so tensors can be filled
    /// in any order or in parallel with byte-identical results.
    /// </summary>
    public static unsafe void Fill(SyntheticTensor tensor, int seed, nint data)
    {
        var count = checked((int)tensor.ElementCount);
        if (tensor.GgmlType == GgufNative.GgmlTypeF32)
            Fill(tensor, seed, new Span<float>((void*)data, count), static v => (float)v);
        else if (tensor.GgmlType == GgufNative.GgmlTypeF16)
            Fill(tensor, seed, new Span<Half>((void*)data, count), static v => (Half)v);
        else
            throw new NotSupportedException($"Cannot generate ggml type {tensor.GgmlType}.");
    }

    private static void Fill<T>(SyntheticTensor tensor, int seed, Span<T> values, Func<double, T> convert)
    {
        if (tensor.Std is not { } std)
        {
            values.Fill(convert(1.0));
            return;
        }
        var random = new DeterministicRandom(seed, tensor.Name);
        var rowLength = (int)tensor.Ne0;
        for (var start = 0; start < values.Length; start += rowLength)
        {
            var scale = tensor.IsDamped(start / rowLength) ? std * SyntheticTensor.DampingFactor : std;
            var row = values.Slice(start, rowLength);
            for (var i = 0; i < row.Length; i++)
                row[i] = convert(random.NextGaussian() * scale);
        }
    }
}
