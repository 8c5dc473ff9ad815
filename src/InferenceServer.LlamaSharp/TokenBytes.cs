using System.Runtime.CompilerServices;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The bytes each token of a model's vocabulary adds to the output text (special tokens add none), read once per
/// model from llama.cpp.
/// </summary>
internal static class TokenBytes
{
    private static readonly ConditionalWeakTable<SafeLlamaModelHandle, byte[][]> Tables = new();

    /// <summary>The table of <paramref name="model"/>, indexed by token id.</summary>
    public static byte[][] For(SafeLlamaModelHandle model) => Tables.GetValue(model, Read);

    private static byte[][] Read(SafeLlamaModelHandle model)
    {
        int count = model.Vocab.Count;
        var table = new byte[count][];
        Span<byte> buffer = stackalloc byte[256];
        for (int t = 0; t < count; t++)
        {
            uint n = model.TokenToSpan((LLamaToken)t, buffer, 0, false);
            table[t] = n <= buffer.Length ? buffer[..(int)n].ToArray() : ReadLong(model, t, n);
        }
        return table;
    }

    private static byte[] ReadLong(SafeLlamaModelHandle model, int token, uint length)
    {
        var big = new byte[length];
        model.TokenToSpan((LLamaToken)token, big, 0, false);
        return big;
    }
}
