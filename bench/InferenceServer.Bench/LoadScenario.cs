namespace InferenceServer.Bench;

/// <summary>
/// One workload swept over concurrency levels: every request has <see cref="PromptTokens"/> random prompt tokens (after
/// <see cref="SharedPrefixTokens"/> tokens common to all requests, if any) and generates exactly <see cref="OutputTokens"/>;
/// a level of concurrency c sends <c>Requests(c)</c> requests. <see cref="Seed"/> is added to each level's prompt seed,
/// so scenarios at the same concurrency share no prompt tokens.
/// </summary>
internal sealed record LoadScenario(string Name, int PromptTokens, int OutputTokens, int[] Levels, Func<int, int> Requests,
    int SharedPrefixTokens = 0, int Seed = 0)
{
    /// <summary>The level's prompts: the same for every target, different for every level.</summary>
    public List<int[]> Prompts(int concurrency, int vocabSize) =>
        LoadSweep.Prompts(Requests(concurrency), PromptTokens, vocabSize, Seed + concurrency,
            SharedPrefixTokens > 0 ? BenchModels.RandomTokens(SharedPrefixTokens, vocabSize, new Random(99 + Seed)) : null);

    /// <summary>"32/128", or "768 shared + 128 unique / 64".</summary>
    public string Shape => SharedPrefixTokens > 0 ? $"{SharedPrefixTokens} shared + {PromptTokens} unique / {OutputTokens}" : $"{PromptTokens}/{OutputTokens}";
}
