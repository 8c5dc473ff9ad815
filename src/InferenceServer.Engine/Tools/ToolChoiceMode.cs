namespace InferenceServer.Engine.Tools;

/// <summary>The kinds of OpenAI <c>tool_choice</c>.</summary>
public enum ToolChoiceMode
{
    /// <summary><c>"none"</c>: never call a tool.</summary>
    None,

    /// <summary><c>"auto"</c>: text, tool calls, or both, as the model decides.</summary>
    Auto,

    /// <summary><c>"required"</c>: at least one tool call.</summary>
    Required,

    /// <summary><c>{"type":"function","function":{"name":…}}</c>: a call to that function.</summary>
    Named,
}
