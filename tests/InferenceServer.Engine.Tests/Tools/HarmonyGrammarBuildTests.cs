using System.Text.Json;
using System.Text.RegularExpressions;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Engine.Tests.Tools;

/// <summary>
/// The harmony (gpt-oss) tool-call grammar: <c>required</c> and a named tool apply at once and may open with an analysis
/// message; <c>auto</c> sleeps until a call's recipient, which an analysis or final message never wakes. What the
/// grammars admit is proven against llama.cpp in the Api proof tests.
/// </summary>
public sealed class HarmonyGrammarBuildTests
{
    private static readonly ToolDefinition[] Tools =
        [new("get_weather", null, JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement)];

    private static readonly Regex Trigger = new(ToolCallGrammar.HarmonyCallStartPattern, RegexOptions.ECMAScript);

    [Fact]
    public void Required_applies_at_once_and_allows_an_analysis_message_first()
    {
        var required = ToolCallGrammar.Build(ToolCallFormat.Harmony, Tools, ToolChoice.Required, parallelToolCalls: true)!;

        Assert.False(required.IsLazy);
        Assert.Contains("\"<|channel|>analysis<|message|>\"", required.Gbnf);
        Assert.Contains("\"<|end|><|start|>assistant\"", required.Gbnf);
        Assert.Contains("\" to=functions.get_weather<|channel|>commentary\"", required.Gbnf);
        Assert.Contains("\"<|channel|>commentary to=functions.get_weather\"", required.Gbnf);
    }

    [Fact]
    public void Auto_sleeps_until_a_recipient_and_holds_only_the_call()
    {
        var auto = ToolCallGrammar.Build(ToolCallFormat.Harmony, Tools, ToolChoice.Auto, parallelToolCalls: true)!;

        Assert.Empty(auto.Triggers!.Words);
        Assert.Equal([ToolCallGrammar.HarmonyCallStartPattern], auto.Triggers.Patterns);
        Assert.DoesNotContain("analysis", auto.Gbnf);
    }

    [Fact]
    public void A_response_format_grammar_becomes_the_final_message_body()
    {
        var answer = HarmonyAnswer.InFinalMessage(new GrammarConstraint("root ::= \"yes\" | answer-root\nanswer-root ::= \"no\""));

        Assert.False(answer.IsLazy);
        Assert.StartsWith("root ::= harmony-analysis? \"<|channel|>final\" (\" \" \"<|constrain|>\"? \"json\")? \"<|message|>\" answer-root-1\n", answer.Gbnf);
        Assert.Contains("answer-root-1 ::= \"yes\" | answer-root\n", answer.Gbnf);
        Assert.Contains("answer-root ::= \"no\"", answer.Gbnf);
        var lazy = new GrammarConstraint("root ::= \"x\"", GrammarTriggers.OfWords("x"));
        Assert.Same(lazy, HarmonyAnswer.InFinalMessage(lazy));
    }

    [Theory]
    [InlineData(" to=functions.get_weather", " to=")]
    [InlineData("<|channel|>commentary to=functions.get_weather", "<|channel|>commentary to=")]
    [InlineData("<|channel|>analysis<|message|>Look it up.<|end|><|start|>assistant to=functions.x", " to=")]
    [InlineData("<|channel|>analysis<|message|>Hm.<|end|><|start|>assistant<|channel|>commentary to=functions.x", "<|channel|>commentary to=")]
    [InlineData("<|channel|>analysis<|message|>I go to=school<|end|>", null)]
    [InlineData("<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>walk to=x", null)]
    [InlineData("Hello to=x", null)]
    public void The_trigger_finds_recipients_in_headers_only(string text, string? wakesAt)
    {
        var match = Trigger.Match(text);

        Assert.Equal(wakesAt, match.Success ? match.Groups[1].Value : null);
    }
}
