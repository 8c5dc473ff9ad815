using System.Text;

namespace InferenceServer.Api.Output;

/// <summary>Splits reply text into content and tool calls in one format, incrementally.</summary>
internal interface IToolCallParser
{
    /// <summary>Number of calls sent so far.</summary>
    int NumCalls { get; }

    /// <summary>Adds text; appends content to <paramref name="content"/> and call pieces to <paramref name="calls"/>.</summary>
    void Add(string text, StringBuilder content, List<ToolCallDelta> calls);

    /// <summary>
    /// Ends the reply, releasing held text. <paramref name="cut"/>: <c>max_tokens</c> or a stop string ended it, so an
    /// unfinished call is the model's call cut short, not text: it is dropped unless already announced (then it closes
    /// where it got to).
    /// </summary>
    void Finish(StringBuilder content, List<ToolCallDelta> calls, bool cut);
}
