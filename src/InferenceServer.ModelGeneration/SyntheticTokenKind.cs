namespace InferenceServer.ModelGeneration;

/// <summary>
/// How a special token of a synthetic model is typed in <c>tokenizer.ggml.token_type</c>, following the model the
/// token comes from (Hugging Face <c>added_tokens</c> with <c>special: true</c> become control tokens, those with
/// <c>special: false</c> user-defined ones, as llama.cpp's converter writes them).
/// </summary>
public enum SyntheticTokenKind
{
    /// <summary>
    /// llama.cpp <c>LLAMA_TOKEN_TYPE_CONTROL</c> (3): matched as one token only when special-token parsing is on,
    /// and rendered as empty text unless special rendering is asked for (e.g. <c>&lt;|im_start|&gt;</c>).
    /// </summary>
    Control,

    /// <summary>
    /// llama.cpp <c>LLAMA_TOKEN_TYPE_USER_DEFINED</c> (4): always matched as one token and always rendered as its
    /// text (e.g. Qwen's <c>&lt;tool_call&gt;</c> and <c>&lt;think&gt;</c>).
    /// </summary>
    UserDefined,
}
