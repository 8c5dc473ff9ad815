using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>The markup strings of each tool-call format (as the shared templates render them).</summary>
internal static class ToolCallMarkers
{
    public const string HermesOpen = "<tool_call>";
    public const string HermesClose = "</tool_call>";
    public const string PythonTag = "<|python_tag|>";
    public const string MistralCalls = "[TOOL_CALLS]";
    public const string MistralArgs = "[ARGS]";
    public const string MistralCallId = "[CALL_ID]";

    /// <summary>Markers that open a call (or a list of calls) in content.</summary>
    public static IReadOnlyList<string> Openers(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => [HermesOpen],
        ToolCallFormat.Llama3Json => [PythonTag],
        ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs => [MistralCalls],
        _ => [],
    };

    /// <summary>Every marker of <paramref name="format"/>.</summary>
    public static IReadOnlyList<string> Of(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => [HermesOpen, HermesClose],
        ToolCallFormat.Llama3Json => [PythonTag],
        ToolCallFormat.MistralJson => [MistralCalls],
        ToolCallFormat.MistralArgs => [MistralCalls, MistralArgs, MistralCallId],
        _ => [],
    };
}
