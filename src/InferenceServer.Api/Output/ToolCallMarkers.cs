using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>The markup strings of each tool-call format (as the shared templates render them; the same words the tool-call grammar writes).</summary>
internal static class ToolCallMarkers
{
    public const string HermesOpen = ToolCallGrammar.HermesOpen;
    public const string HermesClose = ToolCallGrammar.HermesClose;
    public const string PythonTag = ToolCallGrammar.PythonTag;
    public const string MistralCalls = ToolCallGrammar.MistralToolCalls;
    public const string MistralArgs = "[ARGS]";
    public const string MistralCallId = "[CALL_ID]";
    public const string DeepSeekCallsBegin = ToolCallGrammar.DeepSeekCallsBegin;
    public const string DeepSeekCallsEnd = ToolCallGrammar.DeepSeekCallsEnd;
    public const string DeepSeekCallBegin = ToolCallGrammar.DeepSeekCallBegin;
    public const string DeepSeekCallEnd = ToolCallGrammar.DeepSeekCallEnd;
    public const string DeepSeekSep = ToolCallGrammar.DeepSeekSep;

    /// <summary>Every word of the harmony format (gpt-oss), markup wherever it appears in a reply.</summary>
    public static IReadOnlyList<string> Harmony { get; } =
    [
        ToolCallGrammar.HarmonyStart, ToolCallGrammar.HarmonyChannel, ToolCallGrammar.HarmonyMessage, ToolCallGrammar.HarmonyConstrain,
        ToolCallGrammar.HarmonyEnd, ToolCallGrammar.HarmonyCall, ToolCallGrammar.HarmonyReturn,
    ];

    /// <summary>Markers that open a call (or a list of calls) in content.</summary>
    public static IReadOnlyList<string> Openers(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => [HermesOpen],
        ToolCallFormat.Llama3Json => [PythonTag],
        ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs => [MistralCalls],
        ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31 => [DeepSeekCallsBegin],
        _ => [],
    };

    /// <summary>Every marker of <paramref name="format"/>.</summary>
    public static IReadOnlyList<string> Of(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => [HermesOpen, HermesClose],
        ToolCallFormat.Llama3Json => [PythonTag],
        ToolCallFormat.MistralJson => [MistralCalls],
        ToolCallFormat.MistralArgs => [MistralCalls, MistralArgs, MistralCallId],
        ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31 =>
            [DeepSeekCallsBegin, DeepSeekCallsEnd, DeepSeekCallBegin, DeepSeekCallEnd, DeepSeekSep],
        ToolCallFormat.Harmony => Harmony,
        _ => [],
    };
}
