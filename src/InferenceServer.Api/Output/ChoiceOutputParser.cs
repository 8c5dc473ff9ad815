using System.Security.Cryptography;
using System.Text;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>
/// Turns one choice's generated text into reasoning, content and tool-call deltas as it arrives (reasoning first, then
/// tool calls in the rest; harmony replies by their messages' channels, <see cref="HarmonyParser"/>), per
/// <see cref="OutputParsing"/>. Pure: the same text split anywhere gives the same reply.
/// </summary>
public sealed class ChoiceOutputParser
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly ReasoningParser? _reasoning;
    private readonly IToolCallParser? _tools;
    private readonly HarmonyParser? _harmony;

    /// <summary>A parser for <paramref name="parsing"/>; <paramref name="newId"/> makes call ids (default: <see cref="NewCallId"/>).</summary>
    public ChoiceOutputParser(OutputParsing parsing, Func<string>? newId = null)
    {
        ArgumentNullException.ThrowIfNull(parsing);
        if (parsing.ThinkTags || parsing.StartsInReasoning)
            _reasoning = new ReasoningParser(parsing.StartsInReasoning);
        newId ??= () => NewCallId(parsing.ToolCalls);
        if (parsing.Channels)
        {
            _harmony = new HarmonyParser(parsing.ToolCalls == ToolCallFormat.Harmony, parsing.ParallelToolCalls, newId);
            return;
        }
        _tools = parsing.ToolCalls switch
        {
            ToolCallFormat.None => null,
            ToolCallFormat.Generic => new GenericReplyParser(parsing.ParallelToolCalls, newId),
            var format => new ToolCallParser(format, parsing.ParallelToolCalls, newId),
        };
    }

    /// <summary>True while the text so far ends inside reasoning.</summary>
    public bool InReasoning => _harmony?.InReasoning ?? _reasoning?.InReasoning ?? false;

    /// <summary>Number of tool calls sent so far.</summary>
    public int NumToolCalls => _harmony?.NumCalls ?? _tools?.NumCalls ?? 0;

    /// <summary>Parses the next piece of text.</summary>
    public OutputDelta Add(string text) => text.Length == 0 ? OutputDelta.Empty : Parse(text, finish: false);

    /// <summary>Ends the reply, releasing held text.</summary>
    public OutputDelta Finish(bool cut = false) => Parse("", finish: true, cut);

    /// <summary>
    /// A new call id: <c>call_</c> and 24 letters and digits; for Mistral formats 9 letters and digits, the only ids
    /// Mistral's templates accept when the call comes back in the history.
    /// </summary>
    public static string NewCallId(ToolCallFormat format) => format is ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs
        ? RandomNumberGenerator.GetString(IdAlphabet, 9)
        : "call_" + RandomNumberGenerator.GetString(IdAlphabet, 24);

    private OutputDelta Parse(string text, bool finish, bool cut = false)
    {
        if (_harmony is not null)
            return ParseHarmony(_harmony, text, finish, cut);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        if (_reasoning is null)
            content.Append(text);
        else
        {
            _reasoning.Add(text, reasoning, content);
            if (finish)
                _reasoning.Finish(reasoning, content);
        }
        if (_tools is null)
            return Delta(reasoning, content.ToString(), []);
        var calls = new List<ToolCallDelta>();
        var visible = new StringBuilder();
        _tools.Add(content.ToString(), visible, calls);
        if (finish)
            _tools.Finish(visible, calls, cut);
        return Delta(reasoning, visible.ToString(), calls);
    }

    private static OutputDelta ParseHarmony(HarmonyParser harmony, string text, bool finish, bool cut)
    {
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        var calls = new List<ToolCallDelta>();
        harmony.Add(text, reasoning, content, calls);
        if (finish)
            harmony.Finish(reasoning, content, calls, cut);
        return Delta(reasoning, content.ToString(), calls);
    }

    private static OutputDelta Delta(StringBuilder reasoning, string content, List<ToolCallDelta> calls) =>
        reasoning.Length == 0 && content.Length == 0 && calls.Count == 0 ? OutputDelta.Empty : new(reasoning.ToString(), content, calls);
}
