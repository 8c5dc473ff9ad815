namespace InferenceServer.Engine.Sequences;

/// <summary>
/// Per-sequence sampling settings, applied by the model runner with llama.cpp's sampler chain
/// (logit bias → penalties → top-k → top-p → min-p → temperature → a seeded Gumbel-max draw; greedy when temperature is
/// 0); with a <see cref="Grammar"/>, a drawn token the grammar rejects is drawn again from the tokens it allows.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Softmax temperature, 0–2; 0 selects the most likely token (greedy).</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Nucleus sampling mass, (0, 1]; 1 disables it.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Keep the k most likely tokens; 0 disables it.</summary>
    public int TopK { get; init; }
    /// <summary>Drop tokens below <c>min_p × p(max)</c>; 0 disables it.</summary>
    public float MinP { get; init; }
    /// <summary>RNG seed; null draws one from the engine's seeded generator.</summary>
    public uint? Seed { get; init; }
    /// <summary>OpenAI presence penalty, −2–2, over generated tokens.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>OpenAI frequency penalty, −2–2, over generated tokens.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Additive logit bias per token id (OpenAI <c>logit_bias</c>, −100–100).</summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();
    /// <summary>Tokens to generate at most (≥ 1).</summary>
    public int MaxTokens { get; init; } = 16;
    /// <summary>
    /// GBNF grammar (start rule <c>root</c>) every output must match, or null for none; end-of-generation is allowed only
    /// where the grammar is complete (from <c>response_format</c>, <c>grammar</c> or tool calls; see <see cref="Grammar.GrammarConstraint"/>).
    /// </summary>
    public string? Grammar { get; init; }
    /// <summary>
    /// Null: <see cref="Grammar"/> applies from the first token; else it sleeps until one of these triggers occurs in
    /// the output (see <see cref="Grammar.GrammarTriggers"/> for what the grammar is then fed).
    /// </summary>
    public Grammar.GrammarTriggers? GrammarTriggers { get; init; }
    /// <summary>Null, or a literal text (e.g. <c>&lt;/think&gt;</c>) the output must contain before <see cref="Grammar"/> starts; the grammar sees only what follows it.</summary>
    public string? GrammarStartAfter { get; init; }
    /// <summary>Keep generating past end-of-generation tokens (vLLM/llama.cpp <c>ignore_eos</c>), for benchmarks.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>
    /// Log probabilities to return with each sampled token: null for none, else the number of most likely tokens to
    /// list beside the sampled one (0–20). Raw values: the log-softmax of the logits before any sampler touches them.
    /// </summary>
    public int? Logprobs { get; init; }

    /// <summary>
    /// True when the choice is deterministic (greedy): temperature below 1e-5, as in vLLM, since dividing logits by a
    /// smaller temperature overflows to infinities rather than sharpening the distribution.
    /// </summary>
    public bool IsGreedy => Temperature < 1e-5f;
}
