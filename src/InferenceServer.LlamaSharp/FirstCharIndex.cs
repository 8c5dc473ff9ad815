using System.Runtime.CompilerServices;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// For each token of a vocabulary, the ASCII character its grammar text (<see cref="TokenBytes.WithSpecial"/>) starts
/// with, and for each ASCII character a token whose text is exactly that character. A grammar that refuses a character
/// next refuses every token starting with it, so asking llama.cpp about the single-character tokens answers for all
/// tokens that start with an ASCII character. End-of-generation tokens are left out (the grammar judges them by
/// whether it is complete, not by their text). Read once per model.
/// </summary>
internal sealed class FirstCharIndex
{
    private static readonly ConditionalWeakTable<SafeLlamaModelHandle, FirstCharIndex> Tables = new();

    private FirstCharIndex(sbyte[] firstChar, int[] probe)
    {
        FirstChar = firstChar;
        Probe = probe;
    }

    /// <summary>Per token id: its first ASCII character (0–127), or −1 (empty text, non-ASCII start, end of generation, or no probe token for it).</summary>
    public sbyte[] FirstChar { get; }

    /// <summary>Per ASCII character: a token whose grammar text is exactly that character, or −1.</summary>
    public int[] Probe { get; }

    /// <summary>The index of <paramref name="model"/>.</summary>
    public static FirstCharIndex For(SafeLlamaModelHandle model) => Tables.GetValue(model, Build);

    private static FirstCharIndex Build(SafeLlamaModelHandle model)
    {
        var pieces = TokenBytes.WithSpecial(model);
        var probe = Enumerable.Repeat(-1, 128).ToArray();
        var eog = new bool[pieces.Length];
        for (int t = 0; t < pieces.Length; t++)
        {
            eog[t] = ((LLamaToken)t).IsEndOfGeneration(model.Vocab);
            if (!eog[t] && pieces[t] is [< 0x80 and var c] && probe[c] < 0)
                probe[c] = t;
        }
        var first = new sbyte[pieces.Length];
        for (int t = 0; t < pieces.Length; t++)
            first[t] = !eog[t] && pieces[t] is [< 0x80 and var c, ..] && probe[c] >= 0 ? (sbyte)c : (sbyte)-1;
        return new FirstCharIndex(first, probe);
    }
}
