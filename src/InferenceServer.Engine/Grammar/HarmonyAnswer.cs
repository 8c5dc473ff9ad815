using InferenceServer.Engine.Tools;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Puts a structured-output grammar (<c>response_format</c>) where a harmony reply (gpt-oss) carries its answer: an
/// optional analysis message, whose text is free but holds no <c>&lt;|</c> (so it can only end with
/// <c>&lt;|end|&gt;&lt;|start|&gt;assistant</c>), then <c>&lt;|channel|&gt;final</c>, an optional content type
/// (<c> json</c> or <c> &lt;|constrain|&gt;json</c>), <c>&lt;|message|&gt;</c> and the grammar's text, as llama.cpp's
/// server shapes gpt-oss's answers. Tool-call grammars use the same analysis rule (<see cref="ToolCallGrammar"/>).
/// </summary>
public static class HarmonyAnswer
{
    /// <summary>GBNF of the analysis message a harmony reply may open with, its free text in rule <paramref name="free"/>.</summary>
    public static string AnalysisMessage(string free) =>
        $"{Gbnf.Literal(ToolCallGrammar.HarmonyChannel + "analysis" + ToolCallGrammar.HarmonyMessage)} {free} "
        + Gbnf.Literal(ToolCallGrammar.HarmonyEnd + ToolCallGrammar.HarmonyStart + "assistant");

    /// <summary>GBNF of free text without <c>&lt;|</c>.</summary>
    public const string FreeText = "([^<] | \"<\" [^|])*";

    /// <summary>GBNF of an optional content type after a channel.</summary>
    public static string ContentType => $"(\" \" {Gbnf.Literal(ToolCallGrammar.HarmonyConstrain)}? \"json\")?";

    /// <summary><paramref name="constraint"/> as the body of the reply's final message; a lazy constraint is returned as it is.</summary>
    public static GrammarConstraint InFinalMessage(GrammarConstraint constraint)
    {
        if (constraint.IsLazy)
            return constraint;
        string inner = GbnfRename.FreshName(constraint.Gbnf, "answer-root");
        string free = GbnfRename.FreshName(constraint.Gbnf, "harmony-free");
        string analysis = GbnfRename.FreshName(constraint.Gbnf, "harmony-analysis");
        string gbnf = $"root ::= {analysis}? {Gbnf.Literal(ToolCallGrammar.HarmonyChannel + "final")} {ContentType} "
            + $"{Gbnf.Literal(ToolCallGrammar.HarmonyMessage)} {inner}\n"
            + $"{analysis} ::= {AnalysisMessage(free)}\n{free} ::= {FreeText}\n"
            + GbnfRename.Rule(constraint.Gbnf, "root", inner);
        return constraint with { Gbnf = gbnf };
    }
}
