namespace InferenceServer.Engine.KvCache;

/// <summary>A sequence holding blocks in a <see cref="KvCacheSnapshot"/>.</summary>
/// <param name="SequenceId">Engine sequence id.</param>
/// <param name="ChoiceIndex">Choice of its request (n &gt; 1 forks share the prompt's full blocks).</param>
/// <param name="NumPromptTokens">Prompt tokens.</param>
/// <param name="NumOutputTokens">Tokens generated so far.</param>
/// <param name="NumComputedTokens">Tokens whose KV is computed.</param>
/// <param name="NumCachedTokens">Prompt tokens served from the prefix cache at admission.</param>
/// <param name="NumPreemptions">Times it was preempted.</param>
/// <param name="BlockTable">Its block ids in token order.</param>
public sealed record KvSequenceInfo(long SequenceId, int ChoiceIndex, int NumPromptTokens, int NumOutputTokens,
    int NumComputedTokens, int NumCachedTokens, int NumPreemptions, IReadOnlyList<int> BlockTable);
