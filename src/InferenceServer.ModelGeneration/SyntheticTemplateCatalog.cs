namespace InferenceServer.ModelGeneration;

/// <summary>
/// The special tokens of the real models behind chat templates (the template files of <c>../shared/templates</c>,
/// named after their model), so a synthetic model carrying such a template tokenizes its markers as the real
/// model does: one token each, with the same control or user-defined type, the same BOS and end-of-generation
/// tokens, and the same <c>add_bos_token</c>.
/// </summary>
/// <remarks>
/// Sets follow the models' Hugging Face tokenizer files (<c>added_tokens</c>, <c>special</c> flag, <c>bos_token</c>,
/// <c>eos_token</c>) as llama.cpp's converter writes them to GGUF, listed in the models' id order and limited to
/// the tokens the template writes plus BOS and EOS. Text a template writes that is not a token of its model stays
/// plain text: Qwen2.5's <c>&lt;tools&gt;</c> and <c>&lt;tool_response&gt;</c>, and the DeepSeek tool-call markers
/// (<c>&lt;｜tool▁calls▁begin｜&gt;</c>...), which DeepSeek-R1-Distill-Qwen's vocabulary does not have (DeepSeek V3.1's
/// does).
/// </remarks>
public static class SyntheticTemplateCatalog
{
    private static readonly Dictionary<string, SyntheticSpecialTokens> _byTemplate = new(StringComparer.Ordinal)
    {
        ["Qwen-Qwen2.5-7B-Instruct"] = Qwen(UserDefined("<tool_call>", "</tool_call>")),
        ["Qwen-Qwen3-0.6B"] = Qwen(UserDefined("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>")),
        ["NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use"] = HermesLlama3(),
        ["meta-llama-Llama-3.1-8B-Instruct"] = Llama3(),
        ["meta-llama-Llama-3.2-3B-Instruct"] = Llama3(),
        ["meta-llama-Llama-3.3-70B-Instruct"] = Llama3(),
        ["mistralai-Mistral-Nemo-Instruct-2407"] = Mistral([]),
        ["Mistral-Small-3.2-24B-Instruct-2506"] =
            Mistral(Control("[IMG]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]", "[ARGS]", "[CALL_ID]")),
        ["deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"] = DeepSeekR1DistillQwen(),
        ["deepseek-ai-DeepSeek-V3.1"] = DeepSeekV31(),
        ["openai-gpt-oss-120b"] = GptOss(),
    };

    /// <summary>Names of the catalogued templates (file names without <c>.jinja</c>), sorted.</summary>
    public static IReadOnlyList<string> TemplateNames { get; } = _byTemplate.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The special tokens of the model whose template file is <paramref name="templateName"/>.</summary>
    /// <param name="templateName">File name without <c>.jinja</c>, e.g. <c>meta-llama-Llama-3.1-8B-Instruct</c>.</param>
    /// <exception cref="ArgumentException">The template is not catalogued; the message lists those that are.</exception>
    public static SyntheticSpecialTokens SpecialTokensFor(string templateName) =>
        _byTemplate.TryGetValue(templateName, out var tokens) ? tokens
            : throw new ArgumentException(
                $"No special tokens are catalogued for template '{templateName}'; known: {string.Join(", ", TemplateNames)}.",
                nameof(templateName));

    /// <summary>
    /// Qwen2.5/Qwen3 (tokenizer of Qwen2): <c>&lt;|endoftext|&gt;</c> is BOS but never added, <c>&lt;|im_end|&gt;</c>
    /// ends a turn and is EOS; the tool and thinking tags are non-special added tokens.
    /// </summary>
    private static SyntheticSpecialTokens Qwen(SyntheticSpecialToken[] tagTokens) => new(
        [.. Control("<|endoftext|>", "<|im_start|>", "<|im_end|>"), .. tagTokens],
        "<|endoftext|>", "<|im_end|>", "<|im_end|>", null, AddBos: false);

    /// <summary>
    /// Hermes 2 Pro on Llama 3: ChatML control tokens in Llama 3's reserved slots, and its six tool tags, which the
    /// model card says are single tokens, typed like Qwen's tool tags (non-special, so they show in output text);
    /// <c>&lt;|im_end|&gt;</c> is EOS.
    /// </summary>
    private static SyntheticSpecialTokens HermesLlama3() => new(
        [
            .. Control("<|begin_of_text|>", "<|im_start|>", "<|im_end|>"),
            .. UserDefined("<tools>", "</tools>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"),
        ],
        "<|begin_of_text|>", "<|im_end|>", "<|im_end|>", null, AddBos: true);

    /// <summary>
    /// Llama 3.1–3.3 Instruct: header and turn tokens are control tokens; <c>&lt;|eot_id|&gt;</c> is EOS and EOT,
    /// <c>&lt;|eom_id|&gt;</c> (after a built-in tool call) ends generation too.
    /// </summary>
    private static SyntheticSpecialTokens Llama3() => new(
        Control("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"),
        "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>", "<|eom_id|>", AddBos: true);

    /// <summary>Mistral's Tekken vocabulary: <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> and bracketed control tokens.</summary>
    private static SyntheticSpecialTokens Mistral(SyntheticSpecialToken[] moreControls) => new(
        [
            .. Control("<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]",
                "[/TOOL_RESULTS]", "[TOOL_CALLS]"),
            .. moreControls,
        ],
        "<s>", "</s>", null, null, AddBos: true);

    /// <summary>
    /// DeepSeek-R1-Distill-Qwen: Qwen2.5's vocabulary with DeepSeek's sentence tokens (control) and
    /// <c>&lt;｜User｜&gt;</c>, <c>&lt;｜Assistant｜&gt;</c>, <c>&lt;think&gt;</c>, <c>&lt;/think&gt;</c> (non-special).
    /// </summary>
    private static SyntheticSpecialTokens DeepSeekR1DistillQwen() => new(
        [
            SyntheticSpecialToken.Control("<｜end▁of▁sentence｜>"),
            .. UserDefined("<｜User｜>", "<｜Assistant｜>"),
            SyntheticSpecialToken.Control("<｜begin▁of▁sentence｜>"),
            .. UserDefined("<think>", "</think>"),
        ],
        "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", null, null, AddBos: true);

    /// <summary>
    /// DeepSeek V3.1: BOS and EOS are control tokens (ids 0 and 1); <c>&lt;think&gt;</c>, <c>&lt;/think&gt;</c>, the turn
    /// words and the tool-call and tool-output words are added non-special tokens, one token each.
    /// </summary>
    private static SyntheticSpecialTokens DeepSeekV31() => new(
        [
            .. Control("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
            .. UserDefined("<think>", "</think>", "<｜User｜>", "<｜Assistant｜>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>",
                "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"),
        ],
        "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", null, null, AddBos: true);

    /// <summary>
    /// gpt-oss (o200k_harmony): the harmony words are special tokens, in the model's id order; <c>&lt;|startoftext|&gt;</c>
    /// is BOS (never added), <c>&lt;|return|&gt;</c> EOS. llama.cpp also ends generation on <c>&lt;|call|&gt;</c> (by its
    /// text) and, since both are there, takes <c>&lt;|end|&gt;</c> out of that set. <c>&lt;|constrain|&gt;</c> is not in
    /// the template but the model writes it before a call's content type.
    /// </summary>
    private static SyntheticSpecialTokens GptOss() => new(
        Control("<|startoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>", "<|call|>"),
        "<|startoftext|>", "<|return|>", null, null, AddBos: false);

    private static SyntheticSpecialToken[] Control(params string[] texts) => texts.Select(SyntheticSpecialToken.Control).ToArray();

    private static SyntheticSpecialToken[] UserDefined(params string[] texts) => texts.Select(SyntheticSpecialToken.UserDefined).ToArray();
}
