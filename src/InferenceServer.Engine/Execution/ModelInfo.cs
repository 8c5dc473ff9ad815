namespace InferenceServer.Engine.Execution;

/// <summary>Model and KV facts the scheduler needs, fixed when the runner is created.</summary>
/// <param name="MaxModelLength">Most tokens (prompt plus output) one sequence may hold: min(training context, KV capacity).</param>
/// <param name="VocabSize">Vocabulary size in tokens.</param>
/// <param name="EndOfGenerationTokenIds">Tokens that end generation (EOS, EOT, ChatML's &lt;|im_end|&gt;…).</param>
/// <param name="NumBlocks">KV blocks the runner's context holds (its cells are NumBlocks × block size).</param>
/// <param name="NumCacheHolders">Cached blocks the runner can keep at one position index; 0 disables prefix caching.</param>
/// <param name="KvShape">Size of the KV cache, when the runner knows it.</param>
public sealed record ModelInfo(int MaxModelLength, int VocabSize, IReadOnlySet<int> EndOfGenerationTokenIds, int NumBlocks,
    int NumCacheHolders = 0, KvCacheShape? KvShape = null);
