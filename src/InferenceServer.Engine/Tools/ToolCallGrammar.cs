using System.Text.Json;
using InferenceServer.Engine.Grammar;

namespace InferenceServer.Engine.Tools;

/// <summary>
/// Builds the grammar that makes a model's tool calls well formed: the call syntax of the model's format, names limited
/// to the declared tools, and each tool's arguments constrained by its <c>parameters</c> schema (converted like
/// <c>response_format</c>; the rules of all schemas share one grammar under distinct names).
/// </summary>
/// <remarks>
/// <para><c>tool_choice</c>: <c>none</c> gives no grammar; <c>required</c> and a named tool apply the grammar from the
/// first token (named: that tool only, one call); <c>auto</c> gives a lazy grammar that wakes on the format's opening
/// marker, so the model may answer in text and a call it starts must be complete. The generic format is one JSON
/// object from the first token in every mode; with <c>auto</c> it may be <c>{"content": …}</c> instead of calls.</para>
/// <para>Syntax, as the shared templates render calls (whitespace inside the JSON may be dropped: at most one space
/// where JSON allows it):
/// Hermes <c>&lt;tool_call&gt;\n{"name": "f", "arguments": {…}}\n&lt;/tool_call&gt;</c>, parallel calls separated by
/// <c>\n</c> (Qwen 2.5, Hermes 2 Pro/3); Llama3Json <c>{"name": "f", "parameters": {…}}</c>, optionally after
/// <c>&lt;|python_tag|&gt;</c>, one call per message since the Llama 3.x templates render no more (auto wakes on
/// <c>&lt;|python_tag|&gt;</c> or on <c>{</c> as the first non-space character of the reply); MistralJson
/// <c>[TOOL_CALLS][{"name": "f", "arguments": {…}}, …]</c>, each call optionally ending with <c>, "id": "…"</c> of 9
/// letters or digits as Mistral Nemo's template writes it; MistralArgs <c>[TOOL_CALLS]f[ARGS]{…}</c> per call, with the
/// optional <c>[CALL_ID]</c> of Mistral Small 3.2; DeepSeekR1 <c>&lt;｜tool▁calls▁begin｜&gt;</c> then
/// <c>&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;f\n```json\n{…}\n```&lt;｜tool▁call▁end｜&gt;</c> per call (separated
/// by <c>\n</c>) then <c>&lt;｜tool▁calls▁end｜&gt;</c> (DeepSeek R1 and its Distill models); DeepSeekV31 the same words
/// around <c>f&lt;｜tool▁sep｜&gt;{…}</c>, calls not separated (DeepSeek V3.1); Harmony (gpt-oss)
/// <c> to=functions.f&lt;|channel|&gt;commentary json&lt;|message|&gt;{…}</c> as the template renders it, or
/// <c>&lt;|channel|&gt;commentary to=functions.f &lt;|constrain|&gt;json&lt;|message|&gt;{…}</c> as the model often writes it,
/// one call since <c>&lt;|call|&gt;</c> (end of generation) follows it; with <c>required</c> or a named tool an
/// <c>&lt;|channel|&gt;analysis&lt;|message|&gt;…&lt;|end|&gt;&lt;|start|&gt;assistant</c> message may come first, and
/// <c>auto</c> wakes on the recipient (<see cref="HarmonyCallStartPattern"/>), so reasoning stays free; Generic <c>{"tool_calls": [{"name": "f", "arguments": {…}}]}</c> or
/// <c>{"content": "…"}</c>.</para>
/// <para>Use: <c>ToolCallGrammar.Build(...)?.ApplyTo(sampling)</c>; for a thinking model wrap it in
/// <see cref="ReasoningGate.AfterReasoning"/> first.</para>
/// </remarks>
public static class ToolCallGrammar
{
    /// <summary>Word that opens a Hermes call.</summary>
    public const string HermesOpen = "<tool_call>";
    /// <summary>Word that closes a Hermes call.</summary>
    public const string HermesClose = "</tool_call>";
    /// <summary>Llama 3.x's marker before a tool call.</summary>
    public const string PythonTag = "<|python_tag|>";
    /// <summary>Mistral's marker before tool calls.</summary>
    public const string MistralToolCalls = "[TOOL_CALLS]";
    /// <summary>DeepSeek's word before its tool calls.</summary>
    public const string DeepSeekCallsBegin = "<｜tool▁calls▁begin｜>";
    /// <summary>DeepSeek's word after its tool calls.</summary>
    public const string DeepSeekCallsEnd = "<｜tool▁calls▁end｜>";
    /// <summary>DeepSeek's word before one tool call.</summary>
    public const string DeepSeekCallBegin = "<｜tool▁call▁begin｜>";
    /// <summary>DeepSeek's word after one tool call.</summary>
    public const string DeepSeekCallEnd = "<｜tool▁call▁end｜>";
    /// <summary>DeepSeek's word between a call's type (R1) or name (V3.1) and what follows.</summary>
    public const string DeepSeekSep = "<｜tool▁sep｜>";
    /// <summary>Harmony's word before a message's role (gpt-oss).</summary>
    public const string HarmonyStart = "<|start|>";
    /// <summary>Harmony's word before a message's channel.</summary>
    public const string HarmonyChannel = "<|channel|>";
    /// <summary>Harmony's word between a message's header and its body.</summary>
    public const string HarmonyMessage = "<|message|>";
    /// <summary>Harmony's word before the content type of a message (<c>json</c>).</summary>
    public const string HarmonyConstrain = "<|constrain|>";
    /// <summary>Harmony's word after a message that does not end the reply.</summary>
    public const string HarmonyEnd = "<|end|>";
    /// <summary>Harmony's word after a tool call; it ends generation.</summary>
    public const string HarmonyCall = "<|call|>";
    /// <summary>Harmony's word after the final answer; it ends generation.</summary>
    public const string HarmonyReturn = "<|return|>";
    /// <summary>
    /// Pattern that wakes a harmony grammar on a call's recipient, at the reply's start (the prompt ends with
    /// <c>&lt;|start|&gt;assistant</c>) or after a later <c>&lt;|start|&gt;assistant</c>, before or after the channel; an
    /// analysis or final message leaves it asleep.
    /// </summary>
    public const string HarmonyCallStartPattern = "(?:^|<\\|start\\|>assistant)( to=|<\\|channel\\|>commentary to=)";
    /// <summary>Pattern that wakes a Llama 3.x grammar on a reply that starts (after up to 16 blanks) with a JSON object.</summary>
    public const string Llama3JsonStartPattern = "^\\s{0,16}(\\{)";

    /// <summary>The grammar for these tools, or null when <paramref name="choice"/> is <c>none</c>.</summary>
    /// <param name="format">The model's tool-call format (from its template), or <see cref="ToolCallFormat.Generic"/>.</param>
    /// <param name="tools">The declared tools, in request order (at least one unless the choice is <c>none</c>).</param>
    /// <param name="choice">OpenAI <c>tool_choice</c>.</param>
    /// <param name="parallelToolCalls">OpenAI <c>parallel_tool_calls</c>: one call or one or more.</param>
    /// <exception cref="ArgumentException">No tools, the format <see cref="ToolCallFormat.None"/>, or a named tool that is not declared.</exception>
    /// <exception cref="UnsupportedSchemaException">A tool's <c>parameters</c> cannot be enforced; the path starts with <c>tools[i].function.parameters</c>.</exception>
    public static GrammarConstraint? Build(ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallelToolCalls)
    {
        if (choice.Mode == ToolChoiceMode.None)
            return null;
        if (tools.Count == 0)
            throw new ArgumentException("Tool calls need at least one declared tool.", nameof(tools));
        if (format == ToolCallFormat.None)
            throw new ArgumentException("The model has no known tool-call format; use the generic format.", nameof(format));
        var offered = Offered(tools, choice);
        bool many = parallelToolCalls && choice.Mode != ToolChoiceMode.Named;
        var rules = new GbnfRules();
        var builder = new ToolCallSyntax(rules, Arguments(rules, tools, offered));
        string root = format switch
        {
            ToolCallFormat.Hermes => builder.Hermes(many),
            ToolCallFormat.Llama3Json => builder.Llama3Json(),
            ToolCallFormat.MistralJson => builder.MistralJson(many),
            ToolCallFormat.MistralArgs => builder.MistralArgs(many),
            ToolCallFormat.DeepSeekR1 => builder.DeepSeek(many, r1: true),
            ToolCallFormat.DeepSeekV31 => builder.DeepSeek(many, r1: false),
            ToolCallFormat.Harmony => builder.Harmony(forced: choice.Mode != ToolChoiceMode.Auto),
            _ => builder.Generic(many, allowContent: choice.Mode == ToolChoiceMode.Auto),
        };
        return new GrammarConstraint(rules.Render(root), choice.Mode == ToolChoiceMode.Auto ? Triggers(format) : null);
    }

    /// <summary>What wakes the <c>auto</c> grammar of <paramref name="format"/>; null when it applies from the first token.</summary>
    public static GrammarTriggers? Triggers(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => GrammarTriggers.OfWords(HermesOpen),
        ToolCallFormat.Llama3Json => new GrammarTriggers([PythonTag], [Llama3JsonStartPattern]),
        ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs => GrammarTriggers.OfWords(MistralToolCalls),
        ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31 => GrammarTriggers.OfWords(DeepSeekCallsBegin),
        ToolCallFormat.Harmony => new GrammarTriggers([], [HarmonyCallStartPattern]),
        _ => null,
    };

    private static List<int> Offered(IReadOnlyList<ToolDefinition> tools, ToolChoice choice)
    {
        if (choice.Mode != ToolChoiceMode.Named)
            return [.. Enumerable.Range(0, tools.Count)];
        int index = tools.ToList().FindIndex(t => t.Name == choice.Name);
        return index >= 0 ? [index]
            : throw new ArgumentException($"tool_choice names '{choice.Name}', which is not among the declared tools.", nameof(choice));
    }

    private static readonly JsonElement NoParameters =
        JsonDocument.Parse("""{"type":"object","properties":{},"additionalProperties":false}""").RootElement;

    // (name, rule of its arguments object) per offered tool.
    private static List<(string Name, string Arguments)> Arguments(GbnfRules rules, IReadOnlyList<ToolDefinition> tools, List<int> offered) =>
        [.. offered.Select(i => (tools[i].Name, ArgumentsRule(rules, tools[i], i)))];

    private static string ArgumentsRule(GbnfRules rules, ToolDefinition tool, int index)
    {
        // OpenAI: omitting parameters defines a function with an empty parameter list.
        if (tool.Parameters is not { } schema || schema.ValueKind == JsonValueKind.Null)
            schema = NoParameters;
        try
        {
            return new SchemaConverter(schema, tool.Strict, rules).ConvertInto($"root-{tool.Name}-arguments");
        }
        catch (UnsupportedSchemaException ex)
        {
            string at = $"tools[{index}].function.parameters";
            throw new UnsupportedSchemaException(ex.Path.Length == 0 ? at : $"{at}.{ex.Path}", $"Tool '{tool.Name}': {ex.Message}");
        }
    }
}
