namespace InferenceServer.Api.Output;

/// <summary>What a piece of generated text adds to a reply once parsed: reasoning, content and tool-call pieces, in that order.</summary>
/// <param name="Reasoning">New reasoning text (<c>reasoning_content</c>).</param>
/// <param name="Content">New content text.</param>
/// <param name="ToolCalls">New tool-call pieces, in output order.</param>
public sealed record OutputDelta(string Reasoning, string Content, IReadOnlyList<ToolCallDelta> ToolCalls)
{
    /// <summary>Nothing new.</summary>
    public static OutputDelta Empty { get; } = new("", "", []);

    /// <summary>True when the delta adds nothing.</summary>
    public bool IsEmpty => Reasoning.Length == 0 && Content.Length == 0 && ToolCalls.Count == 0;
}
