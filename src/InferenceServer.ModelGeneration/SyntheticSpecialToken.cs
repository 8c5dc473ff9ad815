namespace InferenceServer.ModelGeneration;

/// <summary>One special token of a synthetic vocabulary: its exact text and how llama.cpp types it.</summary>
/// <param name="Text">Token text, e.g. <c>&lt;|eot_id|&gt;</c>; matched verbatim by llama.cpp's tokenizer.</param>
/// <param name="Kind">Control or user-defined.</param>
public sealed record SyntheticSpecialToken(string Text, SyntheticTokenKind Kind)
{
    /// <summary>A control token.</summary>
    public static SyntheticSpecialToken Control(string text) => new(text, SyntheticTokenKind.Control);

    /// <summary>A user-defined (non-special) text token.</summary>
    public static SyntheticSpecialToken UserDefined(string text) => new(text, SyntheticTokenKind.UserDefined);
}
