using System.Text;
using System.Text.Json;
using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp;

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
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Maximum number of stop strings (OpenAI's limit).</summary>
    public const int MaxStopStrings = 4;

    /// <summary>Most <c>logit_bias</c> entries accepted.</summary>
    public const int MaxLogitBiasEntries = 1024;

    /// <summary>Most chat messages accepted (each costs tokens, so a longer list cannot fit any context anyway).</summary>
    public const int MaxMessages = 16384;

    /// <summary>Parses a <c>POST /v1/chat/completions</c> body.</summary>
    public static GenerationRequest ParseChat(JsonDocument body)
    {
        var root = RequireObject(body);
        RequestFields.Check(root, RequestFields.Chat);
        var r = new JsonFieldReader(root);
        var messages = ParseMessages(r);
        long? maxCompletion = r.Integer("max_completion_tokens", 1, int.MaxValue);
        // Both are validated; max_completion_tokens (the current name) wins when both are given.
        long? maxTokens = r.Integer("max_tokens", 1, int.MaxValue);
        var request = ParseCommon(r, messages, prompt: null, maxTokens: maxCompletion ?? maxTokens);
        return request with
        {
            MaxTokensParam = maxCompletion is null ? "max_tokens" : "max_completion_tokens",
            Sampling = request.Sampling with { Logprobs = ParseChatLogprobs(r) },
            TemplateVariables = ParseTemplateVariables(r),
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

    // chat_template_kwargs entries become template variables (JSON values as given); reasoning_effort, which
    // RequestFields limits to what the server honours, is passed too and wins over a kwargs entry of that name.
    private static Dictionary<string, object?>? ParseTemplateVariables(JsonFieldReader r)
    {
        var variables = new Dictionary<string, object?>();
        if (r.Object("chat_template_kwargs") is { } kwargs)
        {
            foreach (var p in kwargs.EnumerateObject())
            {
                if (ChatPromptFormatter.ReservedVariableNames.Contains(p.Name))
                    throw ApiException.BadRequest($"'chat_template_kwargs' may not set '{p.Name}': the server sets it.",
                        "chat_template_kwargs", "invalid_value");
                variables[p.Name] = p.Value.Clone();
            }
        }
        if (r.String("reasoning_effort") is { } effort)
            variables["reasoning_effort"] = effort;
        return variables.Count == 0 ? null : variables;
    }

    /// <summary>Parses a <c>POST /v1/completions</c> body.</summary>
    public static GenerationRequest ParseCompletion(JsonDocument body)
    {
        var root = RequireObject(body);
        RequestFields.Check(root, RequestFields.Completion);
        var r = new JsonFieldReader(root);
        var (prompt, promptTokens) = r.Get("prompt") switch
        {
            null => throw ApiException.BadRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"),
            { ValueKind: JsonValueKind.String } v => (JsonFieldReader.Text(v, "prompt"), null),
            { ValueKind: JsonValueKind.Array } v when v.GetArrayLength() == 1 && v[0].ValueKind == JsonValueKind.String =>
                (JsonFieldReader.Text(v[0], "prompt"), null),
            { ValueKind: JsonValueKind.Array } v when v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) =>
                ((string?)null, TokenIds(v)),
            { } v => throw JsonFieldReader.WrongType("prompt", "a string or an array of token ids", v),
        };
        if (prompt is { Length: 0 })
            throw ApiException.BadRequest("'prompt' must not be empty.", "prompt", "invalid_value");
        var request = ParseCommon(r, messages: null, prompt, r.Integer("max_tokens", 1, int.MaxValue));
        // Legacy logprobs: the number of top tokens (0–5) to list beside each sampled token's log probability.
        return request with
        {
            PromptTokenIds = promptTokens,
            Sampling = request.Sampling with { Logprobs = (int?)r.Integer("logprobs", 0, 5) },
        };
    }

    private static int[] TokenIds(JsonElement array) => array.EnumerateArray()
        .Select(e => e.TryGetInt32(out int id) && id >= 0 ? id
            : throw ApiException.BadRequest("'prompt' token ids must be non-negative integers.", "prompt", "invalid_value"))
        .ToArray();

    private static JsonElement RequireObject(JsonDocument body) =>
        body.RootElement.ValueKind == JsonValueKind.Object ? body.RootElement
            : throw ApiException.BadRequest("The request body must be a JSON object.", null, "invalid_json");

    private static GenerationRequest ParseCommon(JsonFieldReader r, IReadOnlyList<ChatMessage>? messages, string? prompt, long? maxTokens)
    {
        string model = r.String("model") is { Length: > 0 } m ? m : throw ApiException.BadRequest(
            "Missing required parameter: 'model'.", "model", "missing_required_parameter");
        int n = (int)(r.Integer("n", 1, int.MaxValue) ?? 1);
        bool stream = r.Bool("stream") ?? false;
        bool includeUsage = false;
        if (r.Get("stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object)
                throw JsonFieldReader.WrongType("stream_options", "an object", so);
            includeUsage = ReadNested(() => new JsonFieldReader(so).Bool("include_usage"), "stream_options", "include_usage") ?? false;
        }
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
        };
        return new GenerationRequest(model, messages, prompt, sampling, (int?)maxTokens, ParseStop(r), stream, includeUsage, n);
    }

    private static List<ChatMessage> ParseMessages(JsonFieldReader r)
    {
        if (r.Get("messages") is not { } arr)
            throw ApiException.BadRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (arr.ValueKind != JsonValueKind.Array)
            throw JsonFieldReader.WrongType("messages", "an array", arr);
        if (arr.GetArrayLength() == 0)
            throw ApiException.BadRequest("'messages' must contain at least one message.", "messages", "empty_array");
        if (arr.GetArrayLength() > MaxMessages)
            throw ApiException.BadRequest($"'messages' may hold at most {MaxMessages} messages.", "messages", "invalid_value");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in arr.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object)
                throw JsonFieldReader.WrongType(at, "an object", m);
            var mr = new JsonFieldReader(m);
            string role = ReadNested(() => mr.String("role"), at, "role")
                ?? throw ApiException.BadRequest($"Missing required parameter: '{at}.role'.", $"{at}.role", "missing_required_parameter");
            if (!Roles.Contains(role))
                throw ApiException.BadRequest(
                    $"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
                    $"{at}.role", "invalid_value");
            string content = ParseContent(mr.Get("content"), role, $"{at}.content");
            // The chat template is applied through C strings: a NUL would silently cut the message short.
            if (content.Contains('\0'))
                throw ApiException.BadRequest($"Invalid '{at}.content': NUL characters are not allowed.", $"{at}.content", "invalid_value");
            list.Add(new ChatMessage(role, content));
        }
        return list;
    }

    private static string ParseContent(JsonElement? content, string role, string param)
    {
        switch (content)
        {
            case null when role == "assistant":
                return "";
            case null:
                throw ApiException.BadRequest($"Missing required parameter: '{param}'.", param, "missing_required_parameter");
            case { ValueKind: JsonValueKind.String } s:
                return JsonFieldReader.Text(s, param);
            case { ValueKind: JsonValueKind.Array } parts:
                var text = new StringBuilder();
                int j = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    string at = $"{param}[{j++}]";
                    if (part.ValueKind != JsonValueKind.Object)
                        throw JsonFieldReader.WrongType(at, "an object", part);
                    var pr = new JsonFieldReader(part);
                    string? type = ReadNested(() => pr.String("type"), at, "type");
                    if (type != "text")
                        throw ApiException.BadRequest($"Unsupported content part type '{type}': only 'text' parts are supported.", $"{at}.type", "invalid_value");
                    text.Append(ReadNested(() => pr.String("text"), at, "text")
                        ?? throw ApiException.BadRequest($"Missing required parameter: '{at}.text'.", $"{at}.text", "missing_required_parameter"));
                }
                return text.ToString();
            case { } other:
                throw JsonFieldReader.WrongType(param, "a string or an array of content parts", other);
        }
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
                return JsonFieldReader.Text(s, "stop") is { Length: > 0 } one ? [one] : [];
            case { ValueKind: JsonValueKind.Array } arr:
                if (arr.GetArrayLength() > MaxStopStrings)
                    throw ApiException.BadRequest($"'stop' may hold at most {MaxStopStrings} strings.", "stop", "invalid_value");
                var list = new List<string>();
                foreach (var e in arr.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String)
                        throw JsonFieldReader.WrongType("stop", "a string or an array of strings", e);
                    if (JsonFieldReader.Text(e, "stop") is { Length: > 0 } text)
                        list.Add(text);
                }
                return list;
            case { } other:
                throw JsonFieldReader.WrongType("stop", "a string or an array of strings", other);
        }
    }

    // Re-raises a field error with the full path of the nested field (e.g. messages[2].role).
    private static T ReadNested<T>(Func<T> read, string at, string field)
    {
        try
        {
            return read();
        }
        catch (ApiException ex) when (ex.Error.Param == field)
        {
            throw ApiException.BadRequest(ex.Message.Replace($"'{field}'", $"'{at}.{field}'"), $"{at}.{field}", ex.Error.Code);
        }
    }
}
