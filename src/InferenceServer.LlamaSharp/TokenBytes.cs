using System.Runtime.CompilerServices;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The bytes each token of a model's vocabulary adds to the output text (special tokens add none), read once per
/// model from llama.cpp; and the text llama.cpp's grammar sees for each token (special tokens as their text).
/// </summary>
internal static class TokenBytes
{
    private static readonly ConditionalWeakTable<SafeLlamaModelHandle, byte[][]> Tables = new();
    private static readonly ConditionalWeakTable<SafeLlamaModelHandle, byte[][]> SpecialTables = new();

    /// <summary>The table of <paramref name="model"/>, indexed by token id.</summary>
    public static byte[][] For(SafeLlamaModelHandle model) => Tables.GetValue(model, m => Read(m, special: false));

    /// <summary>
    /// The pieces llama.cpp's grammar and its lazy triggers see (<c>token_to_piece</c> with special tokens rendered),
    /// indexed by token id.
    /// </summary>
    public static byte[][] WithSpecial(SafeLlamaModelHandle model) => SpecialTables.GetValue(model, m => Read(m, special: true));

    private static readonly ConditionalWeakTable<SafeLlamaModelHandle, (int Token, string Text)[]> HiddenTables = new();

    /// <summary>
    /// Tokens that add nothing to the output text but that llama.cpp's grammar reads as text (control tokens such as
    /// <c>&lt;|im_start|&gt;</c>), end-of-generation tokens excepted, with that text.
    /// </summary>
    public static (int Token, string Text)[] Hidden(SafeLlamaModelHandle model) => HiddenTables.GetValue(model, m =>
    {
        var plain = For(m);
        var special = WithSpecial(m);
        return [.. Enumerable.Range(0, plain.Length)
            .Where(t => plain[t].Length == 0 && special[t].Length > 0 && !((LLamaToken)t).IsEndOfGeneration(m.Vocab))
            .Select(t => (t, System.Text.Encoding.UTF8.GetString(special[t])))];
    });

    private static byte[][] Read(SafeLlamaModelHandle model, bool special)
    {
        int count = model.Vocab.Count;
        var table = new byte[count][];
        Span<byte> buffer = stackalloc byte[256];
        for (int t = 0; t < count; t++)
        {
            uint n = model.TokenToSpan((LLamaToken)t, buffer, 0, special);
            table[t] = n <= buffer.Length ? buffer[..(int)n].ToArray() : ReadLong(model, t, n, special);
        }
        return table;
    }

    private static byte[] ReadLong(SafeLlamaModelHandle model, int token, uint length, bool special)
    {
        var big = new byte[length];
        model.TokenToSpan((LLamaToken)token, big, 0, special);
        return big;
    }
}
