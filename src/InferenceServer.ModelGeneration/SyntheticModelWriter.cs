using LLama;
using LLama.Native;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// Writes deterministic random-weight Llama models as GGUF v3 files through ggml's own GGUF API
/// (<c>gguf.h</c> in llama.cpp, loaded from LLamaSharp's native backend), and quantizes them with llama.cpp.
/// </summary>
/// <remarks>
/// The files load in llama.cpp like a real model: llama architecture, SentencePiece ("llama") tokenizer with
/// byte fallback, special tokens and chat template (ChatML by default, or a real model's template with that
/// model's special tokens, see <see cref="SyntheticModelSpec.ForTemplate"/>). The weights are untrained noise, so output text is
/// gibberish, but shapes, memory use and speed are those of a real model of the same size.
/// </remarks>
public static class SyntheticModelWriter
{
    /// <summary>
    /// Version of the generator's output format. Bump it whenever the produced bytes change for a given spec
    /// and seed, so caches keyed by <see cref="SyntheticModelSpec.GetCacheFileName"/> are regenerated.
    /// </summary>
    public const int GeneratorVersion = 1;

    /// <summary>
    /// Generates the model described by <paramref name="spec"/> into <paramref name="path"/>. The same spec and
    /// seed always produce a byte-identical file. The file is written to a temporary sibling and then moved
    /// over <paramref name="path"/>, so readers never see a partial file.
    /// </summary>
    /// <param name="spec">Model shape; validated first.</param>
    /// <param name="seed">Seed of the weight generator (the vocabulary does not depend on it).</param>
    /// <param name="path">Destination; its directory is created if missing; an existing file is replaced.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    /// <exception cref="ArgumentException">The spec is invalid.</exception>
    /// <exception cref="DllNotFoundException">LLamaSharp's native libggml-base could not be located.</exception>
    /// <exception cref="IOException">Writing or moving the file failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; no file is left behind.</exception>
    public static void Write(SyntheticModelSpec spec, int seed, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        spec.Validate();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);

        var vocab = SyntheticVocabulary.Build(spec.VocabSize, spec.SpecialTokens);
        var tensors = SyntheticTensor.Plan(spec);
        var temp = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var gguf = new GgufFileBuilder(tensors.Select(t => (t.GgmlType, t.Ne0, t.Ne1))))
            {
                SyntheticMetadata.Apply(gguf, spec, vocab);
                FillTensors(gguf, tensors, seed, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                gguf.WriteTo(temp);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Quantizes a GGUF model (typically an F16 one from <see cref="Write"/>) with llama.cpp's
    /// <c>llama_model_quantize</c> via <see cref="LLamaQuantizer"/>, e.g. to <see cref="LLamaFtype.MOSTLY_Q8_0"/>
    /// or <see cref="LLamaFtype.MOSTLY_Q4_K_M"/>. Tensors whose row length does not fit the target block size
    /// fall back to a compatible type chosen by llama.cpp. Writes via a temporary sibling file, then moves.
    /// </summary>
    /// <param name="sourcePath">Existing GGUF model.</param>
    /// <param name="outputPath">Destination; an existing file is replaced.</param>
    /// <param name="fileType">Target llama.cpp file type.</param>
    /// <param name="threads">Worker threads; 0 or less lets llama.cpp use all hardware threads.</param>
    /// <exception cref="FileNotFoundException"><paramref name="sourcePath"/> does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="fileType"/> is not a quantization target.</exception>
    /// <exception cref="InvalidOperationException">llama.cpp reported a failure.</exception>
    public static void Quantize(string sourcePath, string outputPath, LLamaFtype fileType, int threads = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourcePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        if (!File.Exists(sourcePath))
            throw new FileNotFoundException("Model to quantize not found.", sourcePath);
        var fullPath = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);

        // Loads llama.cpp through LLamaSharp's resolver first: the quantizer's own entry points do not.
        LLama.Native.NativeApi.llama_empty_call();
        var temp = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            if (!LLamaQuantizer.Quantize(sourcePath, temp, fileType, threads <= 0 ? -1 : threads))
                throw new InvalidOperationException($"llama.cpp failed to quantize '{sourcePath}' to {fileType}.");
            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void FillTensors(GgufFileBuilder gguf, IReadOnlyList<SyntheticTensor> tensors, int seed, CancellationToken ct)
    {
        // Allocation and registration call into ggml and stay sequential; filling is pure managed work.
        var buffers = tensors.Select(t => gguf.AddTensor(t.Name, t.GgmlType, t.Ne0, t.Ne1).Data).ToArray();
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, tensors.Count, options, i => SyntheticWeights.Fill(tensors[i], seed, buffers[i]));
    }
}
