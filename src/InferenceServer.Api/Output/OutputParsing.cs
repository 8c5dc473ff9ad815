using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>How one request's generated text is split into reasoning, content and tool calls.</summary>
/// <param name="ToolCalls">The format tool calls are parsed in; <see cref="ToolCallFormat.None"/> parses none (no tools, or <c>tool_choice: "none"</c>).</param>
/// <param name="ThinkTags">Text in <c>&lt;think&gt;…&lt;/think&gt;</c> at the start of the reply is reasoning.</param>
/// <param name="StartsInReasoning">The prompt ends inside an open <c>&lt;think&gt;</c>: the reply starts as reasoning.</param>
/// <param name="ParallelToolCalls">False keeps only the first tool call.</param>
/// <param name="Channels">
/// The reply is written in harmony messages (the template's format is <see cref="ToolCallFormat.Harmony"/>), with or
/// without tools: <see cref="HarmonyParser"/> splits it; <paramref name="ToolCalls"/> is then Harmony or None.
/// </param>
/// <param name="ReasoningClosed">The prompt ends with <c>&lt;/think&gt;</c> (the template turned thinking off): the reply opens no reasoning.</param>
public sealed record OutputParsing(ToolCallFormat ToolCalls, bool ThinkTags, bool StartsInReasoning, bool ParallelToolCalls = true,
    bool Channels = false, bool ReasoningClosed = false)
{
    /// <summary>Everything is content (completions, and chat without tools or reasoning).</summary>
    public static OutputParsing Text { get; } = new(ToolCallFormat.None, false, false);

    /// <summary>True when the text passes through unchanged.</summary>
    public bool IsPlainText => ToolCalls == ToolCallFormat.None && !ThinkTags && !StartsInReasoning && !Channels;

    /// <summary>
    /// The markers of this parsing that the model may write as special tokens: they must reach the parser as text
    /// (control tokens otherwise render as nothing).
    /// </summary>
    public IReadOnlyList<string> Markers => Channels ? ToolCallMarkers.Harmony
        : [.. ToolCallMarkers.Of(ToolCalls), .. ThinkTags || StartsInReasoning ? ReasoningParser.Tags : []];
}
