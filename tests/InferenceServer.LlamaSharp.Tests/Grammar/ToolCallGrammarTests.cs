using System.Text;
using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Tools;
using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// Tool-call grammars run through llama.cpp's grammar engine one byte token at a time (the synthetic vocabulary has
/// all 256): each format admits the calls its templates write and refuses undeclared names, schema-violating arguments
/// and broken syntax; <c>auto</c> sleeps until the format's opening marker.
/// </summary>
[Collection("llama")]
public sealed class ToolCallGrammarTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly ToolDefinition Weather = new("get_weather", "Forecast", JsonDocument.Parse(
        """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":14}},"required":["city"]}""").RootElement);

    // Same $defs name as Clock's but a different definition: the two must not share a rule.
    private static readonly ToolDefinition Lookup = new("lookup", null, JsonDocument.Parse(
        """{"type":"object","properties":{"id":{"$ref":"#/$defs/key"}},"required":["id"],"$defs":{"key":{"type":"integer"}}}""").RootElement);

    private static readonly ToolDefinition Clock = new("clock", null, JsonDocument.Parse(
        """{"type":"object","properties":{"zone":{"$ref":"#/$defs/key"}},"required":["zone"],"$defs":{"key":{"enum":["utc","cet"]}}}""").RootElement);

    // No parameters: OpenAI defines an omitted `parameters` as an empty parameter list.
    private static readonly ToolDefinition Anything = new("anything", null, null);

    private static readonly ToolDefinition[] Tools = [Weather, Lookup, Clock, Anything];

    private static LLamaToken Byte(byte b) => (LLamaToken)(SyntheticVocabulary.FirstByteId + b);

    private GrammarSampler Start(GrammarConstraint c) =>
        GrammarSampler.Create(model.Weights.NativeHandle, c.Gbnf, c.Triggers, c.StartAfter);

    // How far the grammar takes the text: null when every byte passes and the grammar may end there.
    private static bool Walk(GrammarSampler grammar, string text) =>
        Encoding.UTF8.GetBytes(text).All(b => grammar.TryAccept(Byte(b)));

    private bool Matches(GrammarConstraint c, string text)
    {
        using var grammar = Start(c);
        return Walk(grammar, text) && grammar.IsComplete;
    }

    private void Check(ToolCallFormat format, ToolChoice choice, bool parallel, string[] accepted, string[] rejected)
    {
        var c = ToolCallGrammar.Build(format, Tools, choice, parallel)!;
        Assert.Null(GrammarSampler.Check(model.Weights.NativeHandle, c.Gbnf, c.Triggers, c.StartAfter));
        foreach (string text in accepted)
            Assert.True(Matches(c, text), $"{format} should admit {text}\n{c.Gbnf}");
        foreach (string text in rejected)
            Assert.False(Matches(c, text), $"{format} should refuse {text}\n{c.Gbnf}");
    }

    [Fact]
    public void Hermes_calls_as_qwen_writes_them() => Check(ToolCallFormat.Hermes, ToolChoice.Required, parallel: true,
        ["<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>",
         "<tool_call>\n{\"name\":\"lookup\",\"arguments\":{\"id\":7}}\n</tool_call>\n<tool_call>\n{\"name\": \"clock\", \"arguments\": {\"zone\": \"cet\"}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"anything\", \"arguments\": {}}\n</tool_call>"],
        ["<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"anything\", \"arguments\": {\"x\": [1, {\"y\": null}]}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"days\": 3}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 15}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": \"utc\"}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"clock\", \"arguments\": {\"zone\": 7}}\n</tool_call>",
         "Sure. <tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}\n"]);

    [Fact]
    public void Hermes_without_parallel_calls_takes_one_call() => Check(ToolCallFormat.Hermes, ToolChoice.Required, parallel: false,
        ["<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}\n</tool_call>"],
        ["<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 2}}\n</tool_call>"]);

    [Fact]
    public void Named_choice_takes_only_that_tool() => Check(ToolCallFormat.Hermes, new ToolChoice(ToolChoiceMode.Named, "clock"), parallel: true,
        ["<tool_call>\n{\"name\": \"clock\", \"arguments\": {\"zone\": \"utc\"}}\n</tool_call>"],
        ["<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}\n</tool_call>",
         "<tool_call>\n{\"name\": \"clock\", \"arguments\": {\"zone\": \"utc\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"clock\", \"arguments\": {\"zone\": \"utc\"}}\n</tool_call>"]);

    [Fact]
    public void Llama3_json_with_parameters_and_optional_python_tag() => Check(ToolCallFormat.Llama3Json, ToolChoice.Required, parallel: true,
        ["{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", "<|python_tag|>{\"name\": \"lookup\", \"parameters\": {\"id\": 3}}"],
        ["{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}", "{\"name\": \"lookup\", \"parameters\": {\"id\": 3.5}}",
         "{\"name\": \"lookup\", \"parameters\": {\"id\": 3}}; {\"name\": \"lookup\", \"parameters\": {\"id\": 4}}"]);

    [Fact]
    public void Mistral_json_list_with_optional_ids() => Check(ToolCallFormat.MistralJson, ToolChoice.Required, parallel: true,
        ["[TOOL_CALLS][{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}]",
         "[TOOL_CALLS][{\"name\": \"lookup\", \"arguments\": {\"id\": 1}, \"id\": \"a1B2c3D4e\"}, {\"name\": \"clock\", \"arguments\": {\"zone\": \"utc\"}}]"],
        ["[TOOL_CALLS][]", "[TOOL_CALLS][{\"name\": \"lookup\", \"arguments\": {\"id\": 1}, \"id\": \"short\"}]",
         "[TOOL_CALLS][{\"name\": \"clock\", \"arguments\": {\"zone\": \"pst\"}}]", "[{\"name\": \"lookup\", \"arguments\": {\"id\": 1}}]"]);

    [Fact]
    public void Mistral_args_calls_with_optional_call_id() => Check(ToolCallFormat.MistralArgs, ToolChoice.Required, parallel: true,
        ["[TOOL_CALLS]lookup[ARGS]{\"id\": 5}", "[TOOL_CALLS]clock[CALL_ID]abcdefghi[ARGS]{\"zone\":\"cet\"}[TOOL_CALLS]lookup[ARGS]{\"id\":1}"],
        ["[TOOL_CALLS]lookup[ARGS]{\"id\": \"5\"}", "[TOOL_CALLS]other[ARGS]{}", "[TOOL_CALLS]lookup{\"id\": 5}"]);

    private const string DsBegin = "<｜tool▁calls▁begin｜>", DsEnd = "<｜tool▁calls▁end｜>", DsCall = "<｜tool▁call▁begin｜>",
        DsCallEnd = "<｜tool▁call▁end｜>", DsSep = "<｜tool▁sep｜>";

    [Fact]
    public void DeepSeek_r1_calls_in_json_fences() => Check(ToolCallFormat.DeepSeekR1, ToolChoice.Required, parallel: true,
        [$"{DsBegin}{DsCall}function{DsSep}lookup\n```json\n{{\"id\": 5}}\n```{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}function{DsSep}lookup\n```json\n{{\"id\": 5}}\n```{DsCallEnd}\n{DsCall}function{DsSep}clock\n```json\n{{\"zone\": \"utc\"}}\n```{DsCallEnd}{DsEnd}"],
        [$"{DsBegin}{DsCall}function{DsSep}lookup\n```json\n{{\"id\": \"5\"}}\n```{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}function{DsSep}other\n```json\n{{}}\n```{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}lookup{DsSep}{{\"id\": 5}}{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}function{DsSep}lookup\n```json\n{{\"id\": 5}}\n```{DsCallEnd}"]);

    [Fact]
    public void DeepSeek_v31_calls_one_after_another() => Check(ToolCallFormat.DeepSeekV31, ToolChoice.Required, parallel: true,
        [$"{DsBegin}{DsCall}lookup{DsSep}{{\"id\": 5}}{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}lookup{DsSep}{{\"id\":5}}{DsCallEnd}{DsCall}clock{DsSep}{{\"zone\": \"cet\"}}{DsCallEnd}{DsEnd}"],
        [$"{DsBegin}{DsCall}lookup{DsSep}{{\"id\": 5}}{DsCallEnd}\n{DsCall}lookup{DsSep}{{\"id\": 5}}{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}clock{DsSep}{{\"zone\": \"pst\"}}{DsCallEnd}{DsEnd}",
         $"{DsBegin}{DsCall}function{DsSep}lookup\n```json\n{{\"id\": 5}}\n```{DsCallEnd}{DsEnd}"]);

    [Fact]
    public void DeepSeek_without_parallel_calls_takes_one_call() => Check(ToolCallFormat.DeepSeekV31, ToolChoice.Required, parallel: false,
        [$"{DsBegin}{DsCall}lookup{DsSep}{{\"id\": 5}}{DsCallEnd}{DsEnd}"],
        [$"{DsBegin}{DsCall}lookup{DsSep}{{\"id\":5}}{DsCallEnd}{DsCall}clock{DsSep}{{\"zone\": \"cet\"}}{DsCallEnd}{DsEnd}"]);

    [Fact]
    public void Generic_calls_or_content() => Check(ToolCallFormat.Generic, ToolChoice.Auto, parallel: true,
        ["{\"tool_calls\": [{\"name\": \"lookup\", \"arguments\": {\"id\": 2}}, {\"name\": \"clock\", \"arguments\": {\"zone\": \"utc\"}}]}",
         "{\"content\": \"It is sunny.\"}"],
        ["It is sunny.", "{\"tool_calls\": []}", "{\"tool_calls\": [{\"name\": \"lookup\", \"arguments\": {}}]}"]);

    [Fact]
    public void Generic_required_allows_no_content_answer() => Check(ToolCallFormat.Generic, ToolChoice.Required, parallel: false,
        ["{\"tool_calls\": [{\"name\": \"lookup\", \"arguments\": {\"id\": 2}}]}"], ["{\"content\": \"It is sunny.\"}"]);

    [Theory]
    [InlineData(ToolCallFormat.Hermes, "I will look it up. <tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 9}}\n</tool_call>")]
    [InlineData(ToolCallFormat.MistralJson, "Checking. [TOOL_CALLS][{\"name\": \"lookup\", \"arguments\": {\"id\": 9}}]")]
    [InlineData(ToolCallFormat.MistralArgs, "Checking. [TOOL_CALLS]lookup[ARGS]{\"id\": 9}")]
    [InlineData(ToolCallFormat.Llama3Json, "  {\"name\": \"lookup\", \"parameters\": {\"id\": 9}}")]
    [InlineData(ToolCallFormat.Llama3Json, "Let me see. <|python_tag|>{\"name\": \"lookup\", \"parameters\": {\"id\": 9}}")]
    public void Auto_is_free_text_until_the_opening_marker_then_a_whole_call(ToolCallFormat format, string text)
    {
        var c = ToolCallGrammar.Build(format, Tools, ToolChoice.Auto, parallelToolCalls: false)!;
        Assert.NotNull(c.Triggers);
        Assert.Null(GrammarSampler.Check(model.Weights.NativeHandle, c.Gbnf, c.Triggers));
        Assert.True(Matches(c, "Just text, {no call} here <tool> [TOOL] |python"));
        Assert.True(Matches(c, text));

        using var broken = Start(c);
        string cut = text[..(text.IndexOf("lookup", StringComparison.Ordinal) + 4)];
        Assert.True(Walk(broken, cut));
        Assert.False(broken.IsDormant);
        Assert.False(broken.IsComplete);
        Assert.False(broken.TryAccept(Byte((byte)'X')));
    }

    [Fact]
    public void None_gives_no_grammar_and_unknown_names_are_refused()
    {
        Assert.Null(ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.None, true));
        Assert.Throws<ArgumentException>(() => ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, new ToolChoice(ToolChoiceMode.Named, "nope"), true));
        Assert.Throws<ArgumentException>(() => ToolCallGrammar.Build(ToolCallFormat.Hermes, [], ToolChoice.Auto, true));
        Assert.Throws<ArgumentException>(() => ToolCallGrammar.Build(ToolCallFormat.None, Tools, ToolChoice.Auto, true));
        var bad = new ToolDefinition("bad", null, JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string","uniqueItems":true}}}""").RootElement);
        var ex = Assert.Throws<UnsupportedSchemaException>(() => ToolCallGrammar.Build(ToolCallFormat.Hermes, [Weather, bad], ToolChoice.Auto, true));
        Assert.Equal("tools[1].function.parameters.properties.a.uniqueItems", ex.Path);
    }
}
