namespace InferenceServer.Engine;

/// <summary>How llama.cpp lays out the KV cells of the context (<c>kv_unified</c>).</summary>
public enum KvLayout
{
    /// <summary>
    /// One pool of NumBlocks × BlockSize cells that every sequence shares: prefix-cache blocks and the forks of an
    /// n &gt; 1 request share cells, and paging lets one sequence use most of the pool; but every token attends over
    /// every cell in use, so a step's attention grows with the sum of all sequences' contexts.
    /// </summary>
    Unified,

    /// <summary>
    /// One stream of cells per sequence (as llama-server's slots): attention spans only a sequence's own cells,
    /// but a sequence is capped at its stream (NumBlocks × BlockSize / MaxSequences, rounded down to 256) and forks
    /// copy the parent's stream. Instead of a block prefix cache a free KV stream keeps its last sequence's cells, and a new
    /// sequence goes to the free stream sharing the longest token prefix with it and computes only the rest (see
    /// Scheduling.Scheduler); cells cannot be shared across streams, so two running sequences never share a prefix.
    /// </summary>
    PerSequence,
}
