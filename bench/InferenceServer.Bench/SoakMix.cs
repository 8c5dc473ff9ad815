using System.Text;
using System.Text.Json.Nodes;

namespace InferenceServer.Bench;

/// <summary>
/// The soak's seeded request mix: token-id completions and text chats; prompts from a few tokens to several hundred,
/// a third of them behind one of three fixed long prefixes (so the prefix cache is hit); 1 to 300 output tokens,
/// half with <c>ignore_eos</c>; streaming or not, <c>n</c> of 2–4, stop strings; and a pool of deterministic requests
/// (temperature 0, or seeded) whose outputs are compared with their solo outputs.
/// </summary>
internal sealed class SoakMix
{
    // Common words, one token each in a SentencePiece vocabulary of English pieces; text of k words is about k tokens.
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with", "as", "they",
        "at", "one", "have", "this", "from", "or", "had", "by", "not", "word", "but", "what", "some", "we", "can", "out",
        "other", "were", "all", "there", "when", "up", "use", "your", "how", "said", "each", "time", "will", "way", "many",
        "water", "people", "day", "number", "sound", "first", "work", "place", "year", "back", "little", "great", "old",
    ];

    // Substrings of varied frequency in generated text: some stop a stream within a few tokens, some never do.
    private static readonly string[] StopStrings = ["e", "th", "ing", "ou", ".", "\n", " the", "qz"];

    private static readonly int[] PrefixLengths = [160, 320, 480];

    private readonly string _model;
    private readonly int _vocabSize;
    private readonly int[][] _tokenPrefixes;
    private readonly string[] _systemPrompts;

    public SoakMix(string model, int vocabSize, int seed)
    {
        _model = model;
        _vocabSize = vocabSize;
        var random = new Random(seed);
        _tokenPrefixes = [.. PrefixLengths.Select(n => BenchModels.RandomTokens(n, vocabSize, random))];
        _systemPrompts = [.. PrefixLengths.Select(n => Text(n, random))];
    }

    /// <summary>The deterministic requests, numbered, the same for the same seed.</summary>
    public IReadOnlyList<SoakRequest> Pool(int count, int seed)
    {
        var random = new Random(unchecked(seed * 7919 + 13)); // a stream apart from the clients' seeds
        return [.. Enumerable.Range(0, count).Select(i => Build(random, i))];
    }

    /// <summary>
    /// A client's next request: a pool request a quarter of the time, otherwise a new random one; 6% hang up before
    /// the first token and 8% of streams part-way.
    /// </summary>
    public SoakRequest Next(Random random, IReadOnlyList<SoakRequest> pool)
    {
        var request = pool.Count > 0 && random.NextDouble() < 0.25 ? pool[random.Next(pool.Count)] : Build(random, null);
        double r = random.NextDouble();
        // 5 ms and more: the request reaches the server before the client hangs up.
        return r < 0.06 ? request.WithDisconnect(SoakDisconnect.BeforeFirstToken, random.Next(5, 40))
            : r < 0.14 && request.Stream ? request.WithDisconnect(SoakDisconnect.MidStream, random.Next(1, 9))
            : request;
    }

    private SoakRequest Build(Random random, int? poolIndex)
    {
        bool chat = random.NextDouble() < 0.5, stream = random.NextDouble() < 0.6;
        var kinds = new List<string> { chat ? SoakKinds.Chat : SoakKinds.Completions, stream ? SoakKinds.Streaming : SoakKinds.NonStreaming };
        int prefix = random.NextDouble() < 0.3 ? random.Next(PrefixLengths.Length) : -1;
        int tail = prefix >= 0 ? random.Next(1, 49) : random.NextDouble() switch
        {
            < 0.5 => random.Next(3, 32),
            < 0.85 => random.Next(32, 257),
            _ => random.Next(257, 641),
        };
        var body = new JsonObject { ["model"] = _model };
        int promptTokens = chat ? AddMessages(body, random, prefix, tail, kinds) : AddTokenPrompt(body, random, prefix, tail);
        if (prefix >= 0)
            kinds.Add(SoakKinds.SharedPrefix);
        if (promptTokens < 32)
            kinds.Add(SoakKinds.ShortPrompt);
        if (promptTokens > 256)
            kinds.Add(SoakKinds.LongPrompt);
        AddOutput(body, random, kinds, stream);
        AddSampling(body, random, poolIndex, kinds);
        return new SoakRequest(chat ? "chat/completions" : "completions", body.ToJsonString(), stream, (int?)body["n"] ?? 1, kinds, poolIndex);
    }

    private int AddTokenPrompt(JsonObject body, Random random, int prefix, int tail)
    {
        int[] prompt = [.. prefix >= 0 ? _tokenPrefixes[prefix] : [], .. BenchModels.RandomTokens(tail, _vocabSize, random)];
        body["prompt"] = new JsonArray([.. prompt.Select(t => (JsonNode)t)]);
        return prompt.Length;
    }

    // Returns the approximate prompt length in tokens (words plus the chat template's few tokens per message).
    private int AddMessages(JsonObject body, Random random, int prefix, int tail, List<string> kinds)
    {
        var messages = new JsonArray();
        int tokens = 0;
        void Add(string role, string content, int words)
        {
            messages.Add(new JsonObject { ["role"] = role, ["content"] = content });
            tokens += words + 4;
        }
        if (prefix >= 0)
            Add("system", _systemPrompts[prefix], PrefixLengths[prefix]);
        if (random.NextDouble() < 0.3)
        {
            kinds.Add(SoakKinds.MultiTurn);
            int turn = random.Next(2, 16);
            Add("user", Text(turn, random), turn);
            Add("assistant", Text(turn, random), turn);
        }
        Add("user", Text(tail, random), tail);
        body["messages"] = messages;
        return tokens;
    }

    private static void AddOutput(JsonObject body, Random random, List<string> kinds, bool stream)
    {
        int maxTokens = random.NextDouble() switch
        {
            < 0.4 => random.Next(1, 17),
            < 0.8 => random.Next(17, 129),
            _ => random.Next(129, 301),
        };
        body["max_tokens"] = maxTokens;
        if (maxTokens > 128)
            kinds.Add(SoakKinds.LongOutput);
        if (random.NextDouble() < 0.5)
        {
            body["ignore_eos"] = true;
            kinds.Add(SoakKinds.IgnoreEos);
        }
        if (random.NextDouble() < 0.2)
        {
            body["n"] = random.Next(2, 5);
            kinds.Add(SoakKinds.ParallelSamples);
        }
        if (random.NextDouble() < 0.25)
        {
            body["stop"] = new JsonArray([.. StopStrings.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).Select(s => (JsonNode)s)]);
            kinds.Add(SoakKinds.Stop);
        }
        body["stream"] = stream;
        if (stream)
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
    }

    // Deterministic: greedy, or sampled with a seed (then top_p too, sometimes). Others sample without a seed.
    private static void AddSampling(JsonObject body, Random random, int? poolIndex, List<string> kinds)
    {
        if (poolIndex is null)
        {
            body["temperature"] = 1.0;
            if (random.NextDouble() < 0.5)
                body["top_p"] = 0.9;
            return;
        }
        kinds.Add(SoakKinds.Deterministic);
        if (random.NextDouble() < 0.5)
        {
            body["temperature"] = 0;
            return;
        }
        body["temperature"] = 0.8;
        body["seed"] = random.Next();
        if (random.NextDouble() < 0.5)
            body["top_p"] = 0.95;
    }

    private static string Text(int words, Random random)
    {
        var text = new StringBuilder();
        for (int i = 0; i < words; i++)
            text.Append(i == 0 ? "" : random.Next(12) == 0 ? ". " : " ").Append(Words[random.Next(Words.Length)]);
        return text.ToString();
    }
}
