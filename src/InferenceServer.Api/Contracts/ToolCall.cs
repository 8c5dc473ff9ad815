namespace InferenceServer.Api.Contracts;

/// <summary>A call the model made (schema ChatCompletionMessageToolCall).</summary>
/// <param name="Id">The call id (<c>call_…</c>), which the tool message answering it names.</param>
/// <param name="Function">The function and its arguments.</param>
public sealed record ToolCall(string Id, ToolCallFunction Function)
{
    /// <summary>Always <c>function</c>.</summary>
    public string Type => "function";
}

/// <summary>The function of a call: its name and arguments as JSON text (as generated; may not validate).</summary>
public sealed record ToolCallFunction(string Name, string Arguments);
