using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Engine.Tests.Tools;

/// <summary>
/// When each tool-call grammar applies (tool_choice and format) and how the reasoning gate and triggers travel to the
/// sampling parameters; what the grammars admit is tested against llama.cpp in the LlamaSharp tests.
/// </summary>
public sealed class ToolCallGrammarBuildTests
{
    private static readonly ToolDefinition[] Tools =
    [
        new("a_b", null, JsonDocument.Parse("""{"type":"object","properties":{"x":{"$ref":"#/$defs/v"}},"$defs":{"v":{"type":"integer"}}}""").RootElement),
        new("a-b", null, JsonDocument.Parse("""{"type":"object","properties":{"y":{"$ref":"#/$defs/v"}},"$defs":{"v":{"type":"boolean"}}}""").RootElement),
    ];

    [Theory]
    [InlineData(ToolCallFormat.Hermes, "<tool_call>", null)]
    [InlineData(ToolCallFormat.Llama3Json, "<|python_tag|>", ToolCallGrammar.Llama3JsonStartPattern)]
    [InlineData(ToolCallFormat.MistralJson, "[TOOL_CALLS]", null)]
    [InlineData(ToolCallFormat.MistralArgs, "[TOOL_CALLS]", null)]
    public void Auto_wakes_on_the_format_marker_and_required_applies_at_once(ToolCallFormat format, string word, string? pattern)
    {
        var auto = ToolCallGrammar.Build(format, Tools, ToolChoice.Auto, true)!;
        Assert.Equal([word], auto.Triggers!.Words);
        Assert.Equal(pattern is null ? [] : [pattern], auto.Triggers.Patterns);
        Assert.StartsWith("root ::= ", auto.Gbnf);

        var required = ToolCallGrammar.Build(format, Tools, ToolChoice.Required, true)!;
        Assert.False(required.IsLazy);
        Assert.Equal(auto.Gbnf, required.Gbnf);
    }

    [Fact]
    public void Generic_applies_at_once_even_for_auto_and_offers_content_only_then()
    {
        var auto = ToolCallGrammar.Build(ToolCallFormat.Generic, Tools, ToolChoice.Auto, true)!;
        var required = ToolCallGrammar.Build(ToolCallFormat.Generic, Tools, ToolChoice.Required, true)!;
        Assert.False(auto.IsLazy);
        Assert.Contains("\\\"content\\\"", auto.Gbnf);
        Assert.DoesNotContain("\\\"content\\\"", required.Gbnf);
    }

    [Fact]
    public void Schemas_of_several_tools_keep_their_own_rules()
    {
        string gbnf = ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.Required, true)!.Gbnf;
        var names = gbnf.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(" ::=", StringComparison.Ordinal)]).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        // Both $defs are named "v": one rule for the integer, another for the boolean.
        Assert.Contains(names, n => n == "root-v");
        Assert.Contains(names, n => n == "root-v-1");
    }

    [Fact]
    public void The_reasoning_gate_and_triggers_reach_the_sampling_parameters()
    {
        var gated = ReasoningGate.AfterReasoning(ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.Auto, false)!);
        var sampling = gated.ApplyTo(new SamplingParams { Temperature = 0.5f });

        Assert.Equal(gated.Gbnf, sampling.Grammar);
        Assert.Equal(GrammarTriggers.OfWords("<tool_call>"), sampling.GrammarTriggers);
        Assert.Equal("</think>", sampling.GrammarStartAfter);
        Assert.Equal(0.5f, sampling.Temperature);
        Assert.Throws<ArgumentException>(() => ReasoningGate.AfterReasoning(gated, "<|end|>"));
    }

    [Fact]
    public void The_gate_wraps_an_eager_grammar_under_a_new_root_with_leading_blanks()
    {
        var gated = ReasoningGate.AfterReasoning(new GrammarConstraint(
            "root ::= \"root\" root-x [root] # root\nroot-x ::= \"a\"{1,2} | root\n"));
        Assert.Equal("root ::= [ \\t\\n]{0,4} answer-root\nanswer-root ::= \"root\" root-x [root] # root\nroot-x ::= \"a\"{1,2} | answer-root\n",
            gated.Gbnf);
        Assert.Equal(gated, ReasoningGate.AfterReasoning(gated));
    }

    [Fact]
    public void Trigger_words_are_escaped_for_ecmascript() =>
        Assert.Equal(["\\[TOOL_CALLS\\]", "<\\|python_tag\\|>", "a\\.b\\*"],
            new GrammarTriggers(["[TOOL_CALLS]", "<|python_tag|>", "a.b*"], []).AllPatterns());
}
