namespace InferenceServer.Engine.Tools;

/// <summary>OpenAI <c>tool_choice</c>: whether the model may, must, or must not call a tool, or which one it must call.</summary>
/// <param name="Mode">none, auto, required, or a named function.</param>
/// <param name="Name">The function that must be called when <paramref name="Mode"/> is <see cref="ToolChoiceMode.Named"/>.</param>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Name = null)
{
    /// <summary>The model must not call a tool.</summary>
    public static ToolChoice None { get; } = new(ToolChoiceMode.None);

    /// <summary>The model decides (OpenAI's default when tools are given).</summary>
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);

    /// <summary>The model must call at least one tool.</summary>
    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);
}
