namespace InferenceServer.Templates.Probing;

/// <summary>
/// What a chat template supports, found by <see cref="ChatTemplateProber"/> from rendered probe conversations
/// (never from the template's name).
/// </summary>
/// <param name="SystemRole">
/// A system message renders: the template neither raises on it nor drops its text while printing the user's.
/// </param>
/// <param name="StrictAlternation">Two user messages in a row raise, or one of the two is dropped: roles must alternate.</param>
/// <param name="Tools">The template reads <c>tools</c>: a tool's name appears in the prompt.</param>
/// <param name="ToolCallArguments">
/// How assistant <c>tool_calls[].function.arguments</c> must be given for their text to reach the prompt:
/// <c>object</c> (preferred when both work), <c>string</c> (a JSON string), or null when neither renders.
/// </param>
/// <param name="ContentParts">A list of <c>{"type":"text","text":…}</c> parts renders as its text (not raised, not printed as a list).</param>
/// <param name="NullContent">An assistant message with <c>content: null</c> renders without error and without a literal <c>None</c>.</param>
/// <param name="Thinking">The template reads <c>enable_thinking</c>: the prompt differs when it is false.</param>
public sealed record ChatTemplateCapabilities(
    bool SystemRole, bool StrictAlternation, bool Tools, string? ToolCallArguments, bool ContentParts, bool NullContent, bool Thinking)
{
    /// <summary>What formats other than a Jinja template (llama.cpp's built-in families, the plain format) are assumed to support.</summary>
    public static ChatTemplateCapabilities Fixed { get; } = new(
        SystemRole: true, StrictAlternation: false, Tools: false, ToolCallArguments: null, ContentParts: false, NullContent: false, Thinking: false);
}
