namespace InferenceServer.ModelGeneration;

/// <summary>
/// One tensor of the synthetic model: llama.cpp tensor name, ggml type, shape (ne0 is the contiguous
/// dimension, ne1 = 0 for vectors) and how to initialise it.
/// </summary>
/// <param name="Name">GGUF tensor name as expected by llama.cpp's llama architecture loader.</param>
/// <param name="GgmlType">ggml type id (F32 = 0, F16 = 1).</param>
/// <param name="Ne0">Elements per row (input features for weight matrices).</param>
/// <param name="Ne1">Number of rows (output features), or 0 for a 1-D tensor.</param>
/// <param name="Std">Standard deviation of the random values; <c>null</c> fills with ones (RMSNorm weights).</param>
/// <param name="DampedRows">Rows [0, DampedRows) are scaled by <see cref="DampingFactor"/> (see <see cref="Plan"/>).</param>
/// <param name="UndampedRows">Rows below <paramref name="DampedRows"/> that keep full scale (the end-of-generation tokens).</param>
internal sealed record SyntheticTensor(string Name, int GgmlType, long Ne0, long Ne1, double? Std, int DampedRows = 0,
    IReadOnlyList<int>? UndampedRows = null)
{
    /// <summary>Scale applied to damped output rows.</summary>
    internal const double DampingFactor = 0.25;

    /// <summary>Number of elements.</summary>
    public long ElementCount => Ne0 * Math.Max(Ne1, 1);

    /// <summary>
    /// Tensors of a llama model in GGUF order. Matrices use std 1/sqrt(fan_in) so RMS-normalised activations
    /// keep roughly unit scale; embeddings use std 1. In <c>output.weight</c> the rows of the special and byte
    /// tokens except the end-of-generation ones are damped, so random generations are mostly readable pieces.
    /// </summary>
    public static IReadOnlyList<SyntheticTensor> Plan(SyntheticModelSpec spec)
    {
        var specials = spec.SpecialTokens;
        int[] endOfGeneration = specials.EndOfGeneration.Select(t => specials.IdOf(t)!.Value).ToArray();
        var matrixType = (int)spec.WeightType;
        long embd = spec.EmbeddingLength, ff = spec.FeedForwardLength, kv = spec.KvDimension;
        var inv = 1.0 / Math.Sqrt(embd);
        var tensors = new List<SyntheticTensor>
        {
            new("token_embd.weight", matrixType, embd, spec.VocabSize, 1.0),
        };
        for (var layer = 0; layer < spec.LayerCount; layer++)
        {
            var p = $"blk.{layer}.";
            tensors.Add(new(p + "attn_norm.weight", GgufNative.GgmlTypeF32, embd, 0, null));
            tensors.Add(new(p + "attn_q.weight", matrixType, embd, embd, inv));
            tensors.Add(new(p + "attn_k.weight", matrixType, embd, kv, inv));
            tensors.Add(new(p + "attn_v.weight", matrixType, embd, kv, inv));
            tensors.Add(new(p + "attn_output.weight", matrixType, embd, embd, inv));
            tensors.Add(new(p + "ffn_norm.weight", GgufNative.GgmlTypeF32, embd, 0, null));
            tensors.Add(new(p + "ffn_gate.weight", matrixType, embd, ff, inv));
            tensors.Add(new(p + "ffn_up.weight", matrixType, embd, ff, inv));
            tensors.Add(new(p + "ffn_down.weight", matrixType, ff, embd, 1.0 / Math.Sqrt(ff)));
        }
        tensors.Add(new("output_norm.weight", GgufNative.GgmlTypeF32, embd, 0, null));
        tensors.Add(new("output.weight", matrixType, embd, spec.VocabSize, 2.0 * inv, specials.Tokens.Count + 1 + 256, endOfGeneration));
        return tensors;
    }

    /// <summary>Whether row <paramref name="row"/> is damped (end-of-generation tokens never are).</summary>
    public bool IsDamped(long row) =>
        row < DampedRows && (UndampedRows is null || !UndampedRows.Contains((int)row));
}
