using System.Text.Json;
using InferenceServer.Api.Errors;

namespace InferenceServer.Api.Generation;

/// <summary>
/// The one table of request fields per endpoint: every field of the OpenAI request schemas (CreateChatCompletionRequest
/// with its allOf parts, CreateCompletionRequest) plus this server's extensions (<c>top_k</c>, <c>min_p</c>,
/// <c>ignore_eos</c>, <c>chat_template_kwargs</c>, <c>grammar</c>, and <c>response_format</c> on completions as vLLM
/// takes it) is implemented, ignored by design, or unsupported. <see cref="Check"/> enforces it before the parser reads
/// the body; <see cref="RefuseUnknown"/> refuses top-level fields in neither table, as OpenAI does (vLLM and llama.cpp's
/// server ignore them: <c>Server:IgnoreUnknownFields</c>).
/// </summary>
internal static class RequestFields
{
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    public static IReadOnlyList<RequestField> Chat { get; } =
    [
        Implemented("model"), Implemented("messages"), Implemented("stream"), Implemented("stream_options"),
        Implemented("max_completion_tokens"), Implemented("max_tokens"), Implemented("n"), Implemented("temperature"),
        Implemented("top_p"), Implemented("seed"), Implemented("stop"), Implemented("presence_penalty"),
        Implemented("frequency_penalty"), Implemented("logit_bias"),
        Implemented("top_k"), Implemented("min_p"), Implemented("ignore_eos"), Implemented("logprobs"), Implemented("top_logprobs"),
        // Extra variables for the model's Jinja chat template (e.g. enable_thinking), as vLLM and llama.cpp accept.
        Implemented("chat_template_kwargs"),
        Implemented("response_format"), Implemented("grammar"),
        // Parsed from the output in the format the model's template shows (README: Tools); "none" never parses calls.
        Implemented("tools"), Implemented("tool_choice"), Implemented("parallel_tool_calls"),
        // Passed to the template; "none" sets enable_thinking: false where the template reads it.
        Implemented("reasoning_effort"),

        Ignored("user", ExpectString), Ignored("safety_identifier", SafetyIdentifier), Ignored("metadata", Metadata),
        Ignored("store", ExpectBool), Ignored("service_tier", ServiceTier), Ignored("prompt_cache_key", ExpectString),
        Ignored("prompt_cache_retention", ExpectString), Ignored("prompt_cache_options", ExpectObject),
        // Predicted outputs only speed up generation; the output is the same without them.
        Ignored("prediction", ExpectObject),

        new("functions", FieldSupport.Unsupported),
        new("function_call", FieldSupport.Unsupported, null, "\"none\""),
        new("modalities", FieldSupport.Unsupported, null, """["text"]"""),
        new("audio", FieldSupport.Unsupported),
        new("verbosity", FieldSupport.Unsupported),
        new("web_search_options", FieldSupport.Unsupported),
        new("moderation", FieldSupport.Unsupported),
    ];

    /// <summary><c>POST /v1/completions</c>.</summary>
    public static IReadOnlyList<RequestField> Completion { get; } =
    [
        Implemented("model"), Implemented("prompt"), Implemented("stream"), Implemented("stream_options"),
        Implemented("max_tokens"), Implemented("n"), Implemented("temperature"), Implemented("top_p"), Implemented("seed"),
        Implemented("stop"), Implemented("presence_penalty"), Implemented("frequency_penalty"), Implemented("logit_bias"),
        Implemented("top_k"), Implemented("min_p"), Implemented("ignore_eos"), Implemented("logprobs"),
        Implemented("response_format"), Implemented("grammar"),

        Ignored("user", ExpectString),

        // Prompt logprobs would need every prompt row recomputed, prefix-cache hits included; echo alone is text
        // the caller already has. Refused as a whole, so echo with logprobs is refused by name too.
        new("echo", FieldSupport.Unsupported, ExpectBool, "false"),
        new("suffix", FieldSupport.Unsupported, ExpectString, "\"\""),
        new("best_of", FieldSupport.Unsupported, BestOf, "1"),
    ];

    /// <summary>
    /// Validates the ignored and unsupported fields of <paramref name="request"/> by the spec's rules, then refuses the
    /// first unsupported field set to anything but null or an accepted value.
    /// </summary>
    /// <exception cref="ApiException">
    /// 400 <c>invalid_type</c>/<c>invalid_value</c> for a value the spec forbids (checked first, so the error is the one
    /// OpenAI gives), else 400 <c>unsupported_parameter</c> naming the field.
    /// </exception>
    public static void Check(JsonElement request, IReadOnlyList<RequestField> fields)
    {
        var r = new JsonFieldReader(request);
        foreach (var field in fields)
            field.Validate?.Invoke(r, field.Name);
        foreach (var field in fields)
            if (field.Support == FieldSupport.Unsupported && r.Get(field.Name) is { } value && !field.Accepts(value))
                throw Unsupported(field);
    }

    /// <summary>
    /// Refuses the first top-level field of <paramref name="request"/> that <paramref name="fields"/> does not list, so a
    /// misspelt field (<c>max_token</c>) fails instead of silently doing nothing. On <c>/v1/completions</c> the chat
    /// fields this server implements are left to <see cref="RefuseChatOnly"/>; chat's ignored and unsupported ones are
    /// unknown there. No-op for a non-object body.
    /// </summary>
    /// <exception cref="ApiException">400 <c>unknown_parameter</c> naming the field.</exception>
    public static void RefuseUnknown(JsonElement request, IReadOnlyList<RequestField> fields)
    {
        if (request.ValueKind != JsonValueKind.Object)
            return;
        foreach (var property in request.EnumerateObject())
        {
            string name = property.Name;
            // Chat fields this server implements get RefuseChatOnly's message, which names the endpoint to use.
            if (fields.Any(f => f.Name == name)
                || (fields == Completion && Chat.Any(f => f.Name == name && f.Support == FieldSupport.Implemented)))
                continue;
            // A name is the caller's text: a long one is cut, so the error never grows with the request.
            string shown = name.Length <= 64 ? name : name[..64] + "…";
            throw ApiException.BadRequest(
                $"Unrecognized request argument supplied: {shown}. This server takes the OpenAI API's fields and those " +
                "GET /v1/capabilities lists.", shown, "unknown_parameter");
        }
    }

    /// <summary>Names of the fields of <paramref name="fields"/> with <paramref name="support"/>, in table order.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<RequestField> fields, FieldSupport support) =>
        fields.Where(f => f.Support == support).Select(f => f.Name).ToArray();

    /// <summary>True when <paramref name="name"/> is implemented in <paramref name="fields"/>.</summary>
    public static bool IsImplemented(IReadOnlyList<RequestField> fields, string name) =>
        fields.Any(f => f.Name == name && f.Support == FieldSupport.Implemented);

    /// <summary>
    /// Refuses, on <c>/v1/completions</c>, fields that only chat completions take (<c>messages</c>, <c>tools</c>,
    /// <c>tool_choice</c>, <c>reasoning_effort</c>, …): a caller sending them expects them to act, so ignoring them
    /// would drop them silently.
    /// </summary>
    /// <exception cref="ApiException">400 <c>unsupported_parameter</c> naming the first such field.</exception>
    public static void RefuseChatOnly(JsonElement request)
    {
        var r = new JsonFieldReader(request);
        foreach (var field in Chat)
            if (field.Support == FieldSupport.Implemented && Completion.All(c => c.Name != field.Name)
                && r.Get(field.Name) is { ValueKind: not JsonValueKind.Null })
                throw ApiException.BadRequest(
                    $"Unsupported parameter: '{field.Name}' is a chat completions field; /v1/completions does not take it (use /v1/chat/completions).",
                    field.Name, "unsupported_parameter");
    }

    private static ApiException Unsupported(RequestField field)
    {
        string accepted = field.AcceptedValues.Count == 0 ? "Omit it or set it to null"
            : $"Omit it or set it to null or {string.Join(" or ", field.AcceptedValues)}";
        return ApiException.BadRequest(
            $"Unsupported parameter: '{field.Name}' is not supported by this server. {accepted} (GET /v1/capabilities lists what is supported).",
            field.Name, "unsupported_parameter");
    }

    private static RequestField Implemented(string name) => new(name, FieldSupport.Implemented);

    private static RequestField Ignored(string name, Action<JsonFieldReader, string> validate) => new(name, FieldSupport.Ignored, validate);

    private static void ExpectString(JsonFieldReader r, string name) => r.String(name);

    private static void ExpectBool(JsonFieldReader r, string name) => r.Bool(name);

    private static void ExpectObject(JsonFieldReader r, string name) => r.Object(name);

    private static readonly string[] ServiceTiers = ["auto", "default", "flex", "scale", "priority"];

    private static void ServiceTier(JsonFieldReader r, string name)
    {
        if (r.String(name) is { } tier && !ServiceTiers.Contains(tier))
            throw ApiException.BadRequest(
                $"Invalid value: '{tier}'. Supported values are: {string.Join(", ", ServiceTiers.Select(t => $"'{t}'"))}.", name, "invalid_value");
    }

    // OpenAI's metadata: at most 16 string values, keys of at most 64 characters, values of at most 512.
    private static void Metadata(JsonFieldReader r, string name)
    {
        if (r.Object(name) is not { } metadata)
            return;
        int count = 0;
        foreach (var p in metadata.EnumerateObject())
        {
            string at = $"{name}.{p.Name}";
            if (++count > 16)
                throw ApiException.BadRequest($"Invalid '{name}': too many properties. Expected at most 16 properties.", name, "invalid_value");
            if (p.Name.Length > 64)
                throw ApiException.BadRequest($"Invalid '{name}': a key is longer than 64 characters.", name, "invalid_value");
            if (p.Value.ValueKind != JsonValueKind.String)
                throw JsonFieldReader.WrongType(at, "a string", p.Value);
            if (p.Value.GetString()!.Length > 512)
                throw ApiException.BadRequest($"Invalid '{at}': string too long. Expected a string with maximum length 512.", at, "invalid_value");
        }
    }

    // best_of is 0–20 and, as OpenAI requires, at least n.
    private static void BestOf(JsonFieldReader r, string name)
    {
        if (r.Integer(name, 0, 20) is { } bestOf && bestOf < (r.Integer("n", 1, int.MaxValue) ?? 1))
            throw ApiException.BadRequest($"Invalid '{name}': best_of must be greater than or equal to n.", name, "invalid_value");
    }

    private static void SafetyIdentifier(JsonFieldReader r, string name)
    {
        if (r.String(name) is { Length: > 64 } id)
            throw ApiException.BadRequest(
                $"Invalid '{name}': string too long. Expected a string with maximum length 64, but got a string with length {id.Length} instead.",
                name, "invalid_value");
    }
}
