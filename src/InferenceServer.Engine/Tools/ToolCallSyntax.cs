using InferenceServer.Engine.Grammar;

namespace InferenceServer.Engine.Tools;

/// <summary>
/// The GBNF of each tool-call format around the per-tool argument rules (see <see cref="ToolCallGrammar"/> for the
/// syntax and its sources). Every method returns the root expression.
/// </summary>
internal sealed class ToolCallSyntax(GbnfRules rules, IReadOnlyList<(string Name, string Arguments)> tools)
{
    private string Ws => JsonPrimitives.Ws(rules);

    // {"name": "f", "<argumentsKey>": {…}<extra>} for each tool, as alternatives.
    private string JsonCall(string argumentsKey, string extra = "")
    {
        var calls = tools.Select(t => rules.Add($"root-{t.Name}-call",
            $"\"{{\" {Ws} \"\\\"name\\\"\" {Ws} \":\" {Ws} {Gbnf.JsonStringLiteral(t.Name)} {Ws} \",\" {Ws} "
            + $"{Gbnf.JsonStringLiteral(argumentsKey)} {Ws} \":\" {Ws} {t.Arguments}{extra} {Ws} \"}}\""));
        return rules.Add($"root-{argumentsKey}-call", string.Join(" | ", calls));
    }

    public string Hermes(bool many)
    {
        string call = JsonCall("arguments");
        string block = rules.Add("root-tool-call-block", $"{Gbnf.Literal(ToolCallGrammar.HermesOpen)} \"\\n\" {call} \"\\n\" {Gbnf.Literal(ToolCallGrammar.HermesClose)}");
        return many ? $"{block} (\"\\n\" {block})*" : block;
    }

    public string Llama3Json() => $"{Gbnf.Literal(ToolCallGrammar.PythonTag)}? {JsonCall("parameters")}";

    public string MistralJson(bool many)
    {
        string id = $" ({Gbnf.Literal(", \"id\": \"")} [a-zA-Z0-9]{{9}} \"\\\"\")?";
        string call = JsonCall("arguments", id);
        return $"{Gbnf.Literal(ToolCallGrammar.MistralToolCalls)} \"[\" {call}{(many ? $" (\",\" {Ws} {call})*" : "")} \"]\"";
    }

    public string MistralArgs(bool many)
    {
        var calls = tools.Select(t => rules.Add($"root-{t.Name}-args-call",
            $"{Gbnf.Literal(ToolCallGrammar.MistralToolCalls)} {Gbnf.Literal(t.Name)} (\"[CALL_ID]\" [a-zA-Z0-9]{{9}})? \"[ARGS]\" {t.Arguments}"));
        string call = rules.Add("root-args-call", string.Join(" | ", calls));
        return many ? $"{call}+" : call;
    }

    public string DeepSeek(bool many, bool r1)
    {
        var calls = tools.Select(t => rules.Add($"root-{t.Name}-deepseek-call", r1
            ? $"{Gbnf.Literal(ToolCallGrammar.DeepSeekCallBegin + "function" + ToolCallGrammar.DeepSeekSep + t.Name + "\n```json\n")} {t.Arguments} {Gbnf.Literal("\n```" + ToolCallGrammar.DeepSeekCallEnd)}"
            : $"{Gbnf.Literal(ToolCallGrammar.DeepSeekCallBegin + t.Name + ToolCallGrammar.DeepSeekSep)} {t.Arguments} {Gbnf.Literal(ToolCallGrammar.DeepSeekCallEnd)}"));
        string call = rules.Add("root-deepseek-call", string.Join(" | ", calls));
        string more = !many ? "" : r1 ? $" (\"\\n\" {call})*" : $" {call}*";
        return $"{Gbnf.Literal(ToolCallGrammar.DeepSeekCallsBegin)} {call}{more} {Gbnf.Literal(ToolCallGrammar.DeepSeekCallsEnd)}";
    }

    /// <summary>
    /// One harmony call, the recipient before or after the channel, with an optional content type; <paramref name="forced"/>
    /// (eager from the reply's first token) lets an analysis message come first, its text free of harmony words.
    /// </summary>
    public string Harmony(bool forced)
    {
        string commentary = ToolCallGrammar.HarmonyChannel + "commentary";
        var calls = tools.Select(t => rules.Add($"root-{t.Name}-harmony-call",
            $"({Gbnf.Literal(" to=functions." + t.Name + commentary)} | {Gbnf.Literal(commentary + " to=functions." + t.Name)}) "
            + $"{HarmonyAnswer.ContentType} {Gbnf.Literal(ToolCallGrammar.HarmonyMessage)} {t.Arguments}"));
        string call = rules.Add("root-harmony-call", string.Join(" | ", calls));
        if (!forced)
            return call;
        string free = rules.Add("root-harmony-free", HarmonyAnswer.FreeText);
        string analysis = rules.Add("root-harmony-analysis", HarmonyAnswer.AnalysisMessage(free));
        return $"{analysis}? {call}";
    }

    public string Generic(bool many, bool allowContent)
    {
        string call = JsonCall("arguments");
        string list = $"\"[\" {Ws} {call}{(many ? $" (\",\" {Ws} {call})*" : "")} {Ws} \"]\"";
        string calls = $"\"{{\" {Ws} \"\\\"tool_calls\\\"\" {Ws} \":\" {Ws} {list} {Ws} \"}}\"";
        if (!allowContent)
            return calls;
        string content = $"\"{{\" {Ws} \"\\\"content\\\"\" {Ws} \":\" {Ws} {JsonPrimitives.String(rules)} {Ws} \"}}\"";
        return $"{rules.Add("root-tool-calls", calls)} | {rules.Add("root-content", content)}";
    }
}
