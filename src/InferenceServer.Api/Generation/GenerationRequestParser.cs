using System.Text;
using System.Text.Json;
using InferenceServer.Api.Errors;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Parses and validates OpenAI chat-completion and completion request bodies (fields, types and ranges as in the
/// OpenAI API reference; <c>top_k</c>, <c>min_p</c> and <c>ignore_eos</c> as in vLLM and llama.cpp's server). Reads
/// the fields <see cref="RequestFields"/> marks implemented, after <see cref="RequestFields.Check"/> has refused the
/// unsupported ones.
/// </summary>
/// <exception cref="ApiException">400 naming the offending field.</exception>
public static class GenerationRequestParser
{
    /// <summary>Maximum number of stop strings (OpenAI's limit).</summary>
    public const int MaxStopStrings = 4;

    /// <summary>Most <c>logit_bias</c> entries accepted.</summary>
    public const int MaxLogitBiasEntries = 1024;

    /// <summary>Most chat messages accepted (each costs tokens, so a longer list cannot fit any context anyway).</summary>
    public const int MaxMessages = 16384;

    /// <summary>Parses a <c>POST /v1/chat/completions</c> body.</summary>
    public static ChatCompletionRequest ParseChat(JsonDocument body)
    {
        var root = RequireObject(body);
        RequestFields.Check(root, RequestFields.Chat);
        var r = new JsonFieldReader(root);
        var messages = ChatMessageParser.Parse(r, MaxMessages);
        var (tools, toolChoice, parallel) = ToolRequestParser.Parse(r);
        long? maxCompletion = r.Integer("max_completion_tokens", 1, int.MaxValue);
        // Both are validated; max_completion_tokens (the current name) wins when both are given.
        long? maxTokens = r.Integer("max_tokens", 1, int.MaxValue);
        var c = ParseCommon(r, maxCompletion ?? maxTokens);
        return new ChatCompletionRequest(c.Model, messages, c.Sampling with { Logprobs = ParseChatLogprobs(r) }, c.MaxTokens, c.Stop, c.Stream,
            c.IncludeUsage, c.N)
        {
            GrammarParam = c.GrammarParam,
            MaxTokensParam = maxCompletion is null ? "max_tokens" : "max_completion_tokens",
            TemplateVariables = ParseTemplateVariables(r),
            Tools = tools,
            ToolChoice = toolChoice,
            ParallelToolCalls = parallel,
            ReasoningEffort = ParseReasoningEffort(r),
        };
    }

    /// <summary>
    /// Chat <c>logprobs</c> (bool) and <c>top_logprobs</c> (0–20, only with <c>logprobs: true</c>, as OpenAI
    /// requires) as the number of top tokens to list, or null for no logprobs.
    /// </summary>
    private static int? ParseChatLogprobs(JsonFieldReader r)
    {
        long? top = r.Integer("top_logprobs", 0, 20);
        bool logprobs = r.Bool("logprobs") ?? false;
        if (top is not null && !logprobs)
            throw ApiException.BadRequest("Invalid value for 'top_logprobs': it may only be set when 'logprobs' is true.",
                "top_logprobs", "invalid_value");
        return logprobs ? (int)(top ?? 0) : null;
    }

    private static readonly string[] ReasoningEfforts = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];

    private static string? ParseReasoningEffort(JsonFieldReader r) => r.String("reasoning_effort") switch
    {
        null => null,
        var e when ReasoningEfforts.Contains(e) => e,
        var e => throw ApiException.BadRequest(
            $"Invalid value: '{e}'. Supported values are: {string.Join(", ", ReasoningEfforts.Select(v => $"'{v}'"))}.",
            "reasoning_effort", "invalid_value"),
    };

    // chat_template_kwargs entries become template variables (JSON values as given); reasoning_effort is passed too and
    // wins over a kwargs entry of that name, except its off value "none": templates that read it know only
    // low/medium/high, so "none" leaves their default and turns thinking off instead (the input processor sets
    // enable_thinking: false where the template reads it).
    private static Dictionary<string, object?>? ParseTemplateVariables(JsonFieldReader r)
    {
        var variables = new Dictionary<string, object?>();
        if (r.Object("chat_template_kwargs") is { } kwargs)
        {
            foreach (var p in kwargs.EnumerateObject())
            {
                if (IChatTemplate.ReservedVariableNames.Contains(p.Name))
                    throw ApiException.BadRequest($"'chat_template_kwargs' may not set '{p.Name}': the server sets it.",
                        "chat_template_kwargs", "invalid_value");
                variables[p.Name] = p.Value.Clone();
            }
        }
        if (ParseReasoningEffort(r) is { } effort && effort != "none")
            variables["reasoning_effort"] = effort;
        return variables.Count == 0 ? null : variables;
    }

    /// <summary>Parses a <c>POST /v1/completions</c> body.</summary>
    public static CompletionRequest ParseCompletion(JsonDocument body)
    {
        var root = RequireObject(body);
        RequestFields.Check(root, RequestFields.Completion);
        RequestFields.RefuseChatOnly(root);
        var r = new JsonFieldReader(root);
        var (prompt, promptTokens) = r.Get("prompt") switch
        {
            null => throw Nested.Missing("prompt"),
            { ValueKind: JsonValueKind.String } v => (v.GetString()!, null),
            { ValueKind: JsonValueKind.Array } v when v.GetArrayLength() == 0 => throw ApiException.BadRequest(
                "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.", "prompt", "empty_array"),
            { ValueKind: JsonValueKind.Array } v when v.GetArrayLength() == 1 && v[0].ValueKind == JsonValueKind.String =>
                (v[0].GetString()!, null),
            { ValueKind: JsonValueKind.Array } v when v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) =>
                ((string?)null, TokenIds(v)),
            { ValueKind: JsonValueKind.Array } v when v.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Array) =>
                throw ApiException.BadRequest($"Batched prompts ({v.GetArrayLength()} prompts in one request) are not supported: send one " +
                    "request per prompt, as a string or an array of token ids.", "prompt", "unsupported_value"),
            { } v => throw JsonFieldReader.WrongType("prompt", "a string or an array of token ids", v),
        };
        if (prompt is { Length: 0 })
            throw ApiException.BadRequest("'prompt' must not be empty.", "prompt", "invalid_value");
        var c = ParseCommon(r, r.Integer("max_tokens", 1, int.MaxValue));
        // Legacy logprobs: the number of top tokens (0–5) to list beside each sampled token's log probability.
        return new CompletionRequest(c.Model, prompt, promptTokens, c.Sampling with { Logprobs = (int?)r.Integer("logprobs", 0, 5) },
            c.MaxTokens, c.Stop, c.Stream, c.IncludeUsage, c.N) { GrammarParam = c.GrammarParam };
    }

    private static int[] TokenIds(JsonElement array) => array.EnumerateArray()
        .Select(e => e.TryGetInt32(out int id) && id >= 0 ? id
            : throw ApiException.BadRequest("'prompt' token ids must be non-negative integers.", "prompt", "invalid_value"))
        .ToArray();

    private static JsonElement RequireObject(JsonDocument body) =>
        body.RootElement.ValueKind == JsonValueKind.Object ? body.RootElement
            : throw ApiException.BadRequest("The request body must be a JSON object.", null, "invalid_json");

    // The fields both endpoints share, in the order they are validated.
    private readonly record struct CommonFields(string Model, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop, bool Stream,
        bool IncludeUsage, int N, string? GrammarParam);

    private static CommonFields ParseCommon(JsonFieldReader r, long? maxTokens)
    {
        string model = r.String("model") is { Length: > 0 } m ? m : throw Nested.Missing("model");
        int n = (int)(r.Integer("n", 1, int.MaxValue) ?? 1);
        bool stream = r.Bool("stream") ?? false;
        bool includeUsage = false;
        if (r.Get("stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object)
                throw JsonFieldReader.WrongType("stream_options", "an object", so);
            includeUsage = Nested.Read(() => new JsonFieldReader(so).Bool("include_usage"), "stream_options", "include_usage") ?? false;
            if (!stream)
                throw ApiException.BadRequest("The 'stream_options' parameter is only allowed when 'stream' is true.", "stream_options", "invalid_value");
        }
        var (grammar, grammarParam) = StructuredOutputParser.Parse(r);
        var sampling = new SamplingParams
        {
            Temperature = (float)(r.Number("temperature", 0, 2) ?? 1),
            TopP = (float)(r.Number("top_p", 0, 1) ?? 1),
            TopK = (int)(r.Integer("top_k", -1, int.MaxValue) is { } k && k > 0 ? k : 0),
            MinP = (float)(r.Number("min_p", 0, 1) ?? 0),
            Seed = r.Integer("seed", long.MinValue, long.MaxValue) is { } seed ? unchecked((uint)seed) : null,
            PresencePenalty = (float)(r.Number("presence_penalty", -2, 2) ?? 0),
            FrequencyPenalty = (float)(r.Number("frequency_penalty", -2, 2) ?? 0),
            LogitBias = ParseLogitBias(r),
            IgnoreEos = r.Bool("ignore_eos") ?? false,
            MaxTokens = (int)(maxTokens ?? 1),
            Grammar = grammar,
        };
        // Past a complete grammar only end-of-generation tokens are allowed, so ignoring them would loop on them.
        if (sampling.IgnoreEos && grammar is not null)
            throw ApiException.BadRequest($"'ignore_eos' cannot be combined with '{grammarParam}': the output ends where the grammar does.",
                "ignore_eos", "invalid_value");
        return new CommonFields(model, sampling, (int?)maxTokens, ParseStop(r), stream, includeUsage, n, grammarParam);
    }

    private static IReadOnlyDictionary<int, float> ParseLogitBias(JsonFieldReader r)
    {
        var bias = new Dictionary<int, float>();
        if (r.Get("logit_bias") is not { } obj)
            return bias;
        if (obj.ValueKind != JsonValueKind.Object)
            throw JsonFieldReader.WrongType("logit_bias", "an object", obj);
        foreach (var p in obj.EnumerateObject())
        {
            if (bias.Count == MaxLogitBiasEntries)
                throw ApiException.BadRequest($"'logit_bias' may hold at most {MaxLogitBiasEntries} entries.", "logit_bias", "invalid_value");
            // Digits only, as OpenAI's token ids are written: no sign, spaces or leading zeros.
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int token)
                || (p.Name.Length > 1 && p.Name[0] == '0'))
                throw ApiException.BadRequest($"Invalid key in 'logit_bias': '{p.Name}' is not a token id.", "logit_bias", "invalid_value");
            if (p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() is < -100 or > 100)
                throw ApiException.BadRequest($"Invalid value in 'logit_bias' for token {token}: expected a number from -100 to 100.",
                    "logit_bias", "invalid_value");
            bias[token] = (float)p.Value.GetDouble();
        }
        return bias;
    }

    private static IReadOnlyList<string> ParseStop(JsonFieldReader r)
    {
        switch (r.Get("stop"))
        {
            case null:
                return [];
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString()! is { Length: > 0 } one ? [one] : [];
            case { ValueKind: JsonValueKind.Array } arr:
                if (arr.GetArrayLength() > MaxStopStrings)
                    throw ApiException.BadRequest($"'stop' may hold at most {MaxStopStrings} strings.", "stop", "invalid_value");
                var list = new List<string>();
                foreach (var e in arr.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String)
                        throw JsonFieldReader.WrongType("stop", "a string or an array of strings", e);
                    if (e.GetString()! is { Length: > 0 } text)
                        list.Add(text);
                }
                return list;
            case { } other:
                throw JsonFieldReader.WrongType("stop", "a string or an array of strings", other);
        }
    }
}
