using System.Text;

namespace InferenceServer.Api.Output;

/// <summary>Splits reply text into content and tool calls in one format, incrementally.</summary>
internal interface IToolCallParser
{
    /// <summary>Number of calls sent so far.</summary>
    int NumCalls { get; }

    /// <summary>Adds text; appends content to <paramref name="content"/> and call pieces to <paramref name="calls"/>.</summary>
    void Add(string text, StringBuilder content, List<ToolCallDelta> calls);

    /// <summary>Ends the reply, releasing held text.</summary>
    void Finish(StringBuilder content, List<ToolCallDelta> calls);
}
