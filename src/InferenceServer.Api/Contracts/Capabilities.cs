namespace InferenceServer.Api.Contracts;

/// <summary>
/// What this server and its model support (<c>GET /v1/capabilities</c>). Model facts are null until the model is
/// loaded.
/// </summary>
/// <param name="Model">The served model id.</param>
/// <param name="Endpoints">Mapped routes as <c>METHOD /path</c>.</param>
/// <param name="RequestFields">How each request field of the generation endpoints is treated.</param>
/// <param name="KvCacheType">KV cache element type: f16, q8_0 or q4_0.</param>
/// <param name="BlockSize">Tokens per KV block.</param>
/// <param name="KvLayout">llama.cpp's KV layout: <c>unified</c> or <c>per_sequence</c> (<c>Engine:KvLayout</c>).</param>
/// <param name="Deterministic">
/// True in batch-invariant mode (<c>Engine:Deterministic</c>): greedy and seeded outputs are identical alone and under
/// load.
/// </param>
/// <param name="PrefixCaching">
/// True when computed prompt prefixes are reused across requests (cached blocks in the unified layout, a slot's retained
/// cells in the per-sequence layout); null before the model is loaded.
/// </param>
/// <param name="MaxModelLen">Most tokens (prompt plus output) one sequence may hold; null before the model is loaded.</param>
/// <param name="HasChatTemplate">
/// True when chat prompts are rendered with the model's own template, false when the plain fallback is used; null before
/// the model is loaded.
/// </param>
/// <param name="ChatTemplate">
/// The chat template's kind and probed capabilities (system role, strict alternation, tools, tool-call argument form,
/// content parts, null content, thinking); null before the model is loaded.
/// </param>
/// <param name="Tools">Tool and function calling (<c>tools</c>).</param>
/// <param name="StructuredOutputs">JSON mode and JSON schemas (<c>response_format</c>).</param>
/// <param name="Logprobs">Log probabilities of output tokens (<c>logprobs</c>).</param>
public sealed record Capabilities(
    string Model, IReadOnlyList<string> Endpoints, GenerationRequestFields RequestFields, string KvCacheType, int BlockSize,
    string KvLayout, bool Deterministic, bool? PrefixCaching, int? MaxModelLen, bool? HasChatTemplate,
    ChatTemplateReport? ChatTemplate, bool Tools, bool StructuredOutputs, bool Logprobs);

/// <summary>Request fields of the two generation endpoints.</summary>
/// <param name="ChatCompletions"><c>POST /v1/chat/completions</c>.</param>
/// <param name="Completions"><c>POST /v1/completions</c>.</param>
public sealed record GenerationRequestFields(RequestFieldLists ChatCompletions, RequestFieldLists Completions);

/// <summary>
/// The OpenAI request fields of one endpoint (and this server's extensions) by treatment. Fields in none of the lists
/// are ignored.
/// </summary>
/// <param name="Implemented">Honoured.</param>
/// <param name="Ignored">Accepted and ignored by design: they do not change the output (user ids, metadata, cache hints).</param>
/// <param name="Unsupported">Refused with 400 <c>unsupported_parameter</c> unless null or their "off" value (e.g. <c>logprobs: false</c>).</param>
public sealed record RequestFieldLists(IReadOnlyList<string> Implemented, IReadOnlyList<string> Ignored, IReadOnlyList<string> Unsupported);
