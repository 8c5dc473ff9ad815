using System.Runtime.InteropServices;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// P/Invoke declarations for the GGUF writer API and the few tensor helpers of ggml that it needs,
/// all exported by <c>libggml-base</c> (shipped next to <c>libllama</c> by the LLamaSharp backend packages).
/// Signatures follow llama.cpp's <c>ggml/include/gguf.h</c> and <c>ggml/include/ggml.h</c>.
/// </summary>
/// <remarks>
/// The library name is resolved by <see cref="GgmlBaseLibrary"/>; call <see cref="GgmlBaseLibrary.EnsureResolved"/>
/// before the first call into this class. ggml reports misuse (duplicate tensor names, out-of-memory
/// contexts, wrong value types) with <c>GGML_ASSERT</c>, which aborts the process, so callers must validate
/// their input before calling in.
/// </remarks>
internal static unsafe partial class GgufNative
{
    /// <summary>Logical library name handled by the resolver in <see cref="GgmlBaseLibrary"/>.</summary>
    internal const string LibraryName = "ggml-base";

    /// <summary><c>enum ggml_type</c> values (ggml.h) used by the generator.</summary>
    internal const int GgmlTypeF32 = 0;
    internal const int GgmlTypeF16 = 1;

    /// <summary><c>enum gguf_type</c> values (gguf.h) used for array metadata.</summary>
    internal const int GgufTypeInt32 = 5;
    internal const int GgufTypeFloat32 = 6;

    /// <summary>
    /// <c>struct ggml_init_params { size_t mem_size; void * mem_buffer; bool no_alloc; }</c> (ggml.h);
    /// 24 bytes on 64-bit targets, passed by value to <c>ggml_init</c>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GgmlInitParams
    {
        public nuint MemSize;
        public nint MemBuffer;
        public byte NoAlloc; // C99 bool: one byte
    }

    // ---- ggml.h ----

    [LibraryImport(LibraryName)]
    internal static partial nint ggml_init(GgmlInitParams parameters);

    [LibraryImport(LibraryName)]
    internal static partial void ggml_free(nint ctx);

    [LibraryImport(LibraryName)]
    internal static partial nuint ggml_tensor_overhead();

    [LibraryImport(LibraryName)]
    internal static partial nuint ggml_row_size(int type, long ne);

    [LibraryImport(LibraryName)]
    internal static partial nint ggml_new_tensor_1d(nint ctx, int type, long ne0);

    [LibraryImport(LibraryName)]
    internal static partial nint ggml_new_tensor_2d(nint ctx, int type, long ne0, long ne1);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ggml_set_name(nint tensor, string name);

    [LibraryImport(LibraryName)]
    internal static partial void* ggml_get_data(nint tensor);

    [LibraryImport(LibraryName)]
    internal static partial nuint ggml_nbytes(nint tensor);

    // ---- gguf.h ----

    [LibraryImport(LibraryName)]
    internal static partial nint gguf_init_empty();

    [LibraryImport(LibraryName)]
    internal static partial void gguf_free(nint ctx);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_val_u32(nint ctx, string key, uint value);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_val_f32(nint ctx, string key, float value);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_val_bool(nint ctx, string key, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_val_str(nint ctx, string key, string value);

    /// <summary>Copies <paramref name="n"/> elements of <paramref name="type"/> from <paramref name="data"/>.</summary>
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_arr_data(nint ctx, string key, int type, void* data, nuint n);

    /// <summary>Copies <paramref name="n"/> NUL-terminated UTF-8 strings.</summary>
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void gguf_set_arr_str(nint ctx, string key, byte** data, nuint n);

    /// <summary>Registers a tensor; its data pointer must stay valid until the file has been written.</summary>
    [LibraryImport(LibraryName)]
    internal static partial void gguf_add_tensor(nint ctx, nint tensor);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool gguf_write_to_file(nint ctx, string fileName, [MarshalAs(UnmanagedType.U1)] bool onlyMeta);
}
