using InferenceServer.ModelGeneration;
using LLama;
using LLama.Common;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>Generates the tiny synthetic model once into a temporary directory and loads it.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public const int Seed = 7;

    public TinyModelFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "synthetic-model-tests-" + Guid.NewGuid().ToString("N"));
        ModelPath = Path.Combine(Directory, "tiny.gguf");
        SyntheticModelWriter.Write(Spec, Seed, ModelPath);
        Weights = LLamaWeights.LoadFromFile(CreateParams(ModelPath));
    }

    public SyntheticModelSpec Spec => SyntheticModelSpec.Tiny;

    public string Directory { get; }

    public string ModelPath { get; }

    public LLamaWeights Weights { get; }

    /// <summary>Small context, one thread: the machine running the tests has two cores.</summary>
    public static ModelParams CreateParams(string path) => new(path)
    {
        ContextSize = 256,
        BatchSize = 256,
        Threads = 1,
        BatchThreads = 1,
        GpuLayerCount = 0,
    };

    public void Dispose()
    {
        Weights.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort cleanup of the temp directory.
        }
    }
}
