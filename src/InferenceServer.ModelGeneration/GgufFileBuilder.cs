using System.Text;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// Thin safe wrapper over ggml's GGUF writer: a <c>gguf_context</c> for metadata plus a <c>ggml_context</c>
/// that owns the tensor data until <see cref="WriteTo"/> serialises everything with <c>gguf_write_to_file</c>.
/// </summary>
/// <remarks>Not thread-safe. Validates what ggml would otherwise abort the process for.</remarks>
internal sealed unsafe class GgufFileBuilder : IDisposable
{
    /// <summary>ggml's GGML_MAX_NAME (64) including the terminating NUL.</summary>
    private const int MaxTensorNameBytes = 63;

    /// <summary>Extra ggml context bytes on top of the computed need (object headers, alignment).</summary>
    private const int SlackBytes = 1 << 20;

    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private nint _gguf;
    private nint _ggml;

    /// <summary>Creates contexts able to hold the given tensors (type, ne0, ne1; ne1 = 0 for 1-D).</summary>
    /// <exception cref="InvalidOperationException">ggml could not allocate its context.</exception>
    public GgufFileBuilder(IEnumerable<(int Type, long Ne0, long Ne1)> tensors)
    {
        GgmlBaseLibrary.EnsureResolved();
        nuint memory = SlackBytes;
        foreach (var (type, ne0, ne1) in tensors)
        {
            var bytes = GgufNative.ggml_row_size(type, ne0) * (nuint)Math.Max(ne1, 1);
            memory += GgufNative.ggml_tensor_overhead() + ((bytes + 15) & ~(nuint)15);
        }

        _gguf = GgufNative.gguf_init_empty();
        _ggml = GgufNative.ggml_init(new GgufNative.GgmlInitParams { MemSize = memory, MemBuffer = 0, NoAlloc = 0 });
        if (_gguf == 0 || _ggml == 0)
        {
            Dispose();
            throw new InvalidOperationException($"ggml failed to allocate a {memory}-byte context.");
        }
    }

    public void SetString(string key, string value) => GgufNative.gguf_set_val_str(Context, key, value);

    public void SetUInt32(string key, uint value) => GgufNative.gguf_set_val_u32(Context, key, value);

    public void SetFloat32(string key, float value) => GgufNative.gguf_set_val_f32(Context, key, value);

    public void SetBool(string key, bool value) => GgufNative.gguf_set_val_bool(Context, key, value);

    public void SetInt32Array(string key, ReadOnlySpan<int> values)
    {
        fixed (int* data = values)
            GgufNative.gguf_set_arr_data(Context, key, GgufNative.GgufTypeInt32, data, (nuint)values.Length);
    }

    public void SetFloat32Array(string key, ReadOnlySpan<float> values)
    {
        fixed (float* data = values)
            GgufNative.gguf_set_arr_data(Context, key, GgufNative.GgufTypeFloat32, data, (nuint)values.Length);
    }

    /// <summary>Stores a string array, marshalled as one UTF-8 blob of NUL-terminated strings plus a pointer table.</summary>
    public void SetStringArray(string key, IReadOnlyList<string> values)
    {
        var offsets = new int[values.Count];
        var blob = new List<byte>(values.Count * 8);
        for (var i = 0; i < values.Count; i++)
        {
            offsets[i] = blob.Count;
            blob.AddRange(Encoding.UTF8.GetBytes(values[i]));
            blob.Add(0);
        }
        var bytes = blob.ToArray();
        var pointers = new byte*[values.Count];
        fixed (byte* start = bytes)
        fixed (byte** table = pointers)
        {
            for (var i = 0; i < offsets.Length; i++)
                table[i] = start + offsets[i];
            GgufNative.gguf_set_arr_str(Context, key, table, (nuint)values.Count);
        }
    }

    /// <summary>
    /// Allocates a tensor of <paramref name="ne0"/> x <paramref name="ne1"/> elements (ne0 contiguous; ne1 = 0
    /// for a vector), registers it for writing and returns its zero-initialised data buffer.
    /// </summary>
    /// <exception cref="ArgumentException">The name is too long, duplicated or the shape is invalid.</exception>
    public (nint Data, long ByteCount) AddTensor(string name, int type, long ne0, long ne1)
    {
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
            throw new ArgumentException($"Tensor name '{name}' exceeds {MaxTensorNameBytes} bytes.", nameof(name));
        if (ne0 <= 0 || ne1 < 0)
            throw new ArgumentException($"Invalid shape [{ne0}, {ne1}] for tensor '{name}'.");
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"Duplicate tensor name '{name}'.", nameof(name));

        var tensor = ne1 == 0
            ? GgufNative.ggml_new_tensor_1d(TensorContext, type, ne0)
            : GgufNative.ggml_new_tensor_2d(TensorContext, type, ne0, ne1);
        GgufNative.ggml_set_name(tensor, name);
        var data = (nint)GgufNative.ggml_get_data(tensor);
        var byteCount = (long)GgufNative.ggml_nbytes(tensor);
        new Span<byte>((void*)data, checked((int)byteCount)).Clear();
        GgufNative.gguf_add_tensor(Context, tensor);
        return (data, byteCount);
    }

    /// <summary>Writes header, metadata, tensor infos and (aligned) tensor data to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">ggml reported a write failure.</exception>
    public void WriteTo(string path)
    {
        if (!GgufNative.gguf_write_to_file(Context, path, onlyMeta: false))
            throw new IOException($"gguf_write_to_file failed for '{path}'.");
    }

    private nint Context => _gguf != 0 ? _gguf : throw new ObjectDisposedException(nameof(GgufFileBuilder));

    private nint TensorContext => _ggml != 0 ? _ggml : throw new ObjectDisposedException(nameof(GgufFileBuilder));

    public void Dispose()
    {
        if (_gguf != 0)
            GgufNative.gguf_free(_gguf);
        if (_ggml != 0)
            GgufNative.ggml_free(_ggml);
        _gguf = 0;
        _ggml = 0;
    }
}
