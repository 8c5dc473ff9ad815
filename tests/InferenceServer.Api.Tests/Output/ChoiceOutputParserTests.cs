using InferenceServer.Api.Output;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Tests.Output;

/// <summary>
/// The output parser per format: every split of the text (two pieces at every position, and one character at a time)
/// gives the same reply, raw markup never reaches content, malformed calls fall back to content.
/// </summary>
public sealed class ChoiceOutputParserTests
{
    private static OutputParsing Tools(ToolCallFormat format, bool parallel = true) => new(format, false, false, parallel);

    private static void AssertReply(OutputParsing parsing, string text, string reasoning, string content, params (string Name, string Arguments)[] calls)
    {
        foreach (var pieces in ParsedReply.Splits(text))
        {
            var reply = ParsedReply.Of(parsing, pieces);
            string at = $"split [{string.Join("|", pieces.Take(3))}…]";
            Assert.True(reasoning == reply.Reasoning, $"{at}: reasoning '{reply.Reasoning}'");
            Assert.True(content == reply.Content, $"{at}: content '{reply.Content}'");
            Assert.True(calls.Length == reply.Calls.Count, $"{at}: {reply.Calls.Count} calls");
            for (int i = 0; i < calls.Length; i++)
            {
                Assert.Equal($"call_{i}", reply.Calls[i].Id);
                Assert.Equal(calls[i].Name, reply.Calls[i].Name);
                Assert.True(calls[i].Arguments == reply.Calls[i].Arguments, $"{at}: arguments '{reply.Calls[i].Arguments}'");
            }
        }
    }

    [Fact]
    public void Hermes_calls_after_text_are_parsed_and_the_text_is_content()
    {
        AssertReply(Tools(ToolCallFormat.Hermes),
            "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": [1, 2]}}\n</tool_call>\n" +
            "<tool_call>\n{\"arguments\": {\"q\": \"a}b\\\"\"}, \"name\": \"search\"}\n</tool_call>",
            "", "Let me look.\n",
            ("get_weather", "{\"city\": \"Paris\", \"days\": [1, 2]}"), ("search", "{\"q\": \"a}b\\\"\"}"));
    }

    [Fact]
    public void Hermes_arguments_given_as_a_string_are_sent_decoded()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>",
            "", "", ("f", "{\"x\": 1}"));
    }

    [Fact]
    public void A_call_without_arguments_gets_an_empty_object()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "<tool_call>{\"name\": \"now\"}</tool_call>", "", "", ("now", "{}"));
    }

    [Fact]
    public void Llama3_bare_json_and_python_tag_calls_are_parsed()
    {
        AssertReply(Tools(ToolCallFormat.Llama3Json), "  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}",
            "", "", ("get_weather", "{\"city\": \"Oslo\"}"));
        AssertReply(Tools(ToolCallFormat.Llama3Json), "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"n\": 2}}",
            "", "", ("a", "{}"), ("b", "{\"n\": 2}"));
    }

    [Fact]
    public void Llama3_text_that_is_not_a_call_is_content()
    {
        AssertReply(Tools(ToolCallFormat.Llama3Json), " The answer is {42}.", "", " The answer is {42}.");
    }

    [Fact]
    public void Mistral_json_lists_are_parsed()
    {
        AssertReply(Tools(ToolCallFormat.MistralJson),
            "Sure.[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": \"[ARGS]\"}, \"id\": \"abcdefghi\"}, {\"name\": \"b\", \"arguments\": {}}]",
            "", "Sure.", ("a", "{\"x\": \"[ARGS]\"}"), ("b", "{}"));
    }

    [Fact]
    public void Mistral_args_calls_are_parsed_with_and_without_call_ids()
    {
        AssertReply(Tools(ToolCallFormat.MistralArgs),
            "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Rome\"}[TOOL_CALLS]search[CALL_ID]a1b2c3d4e[ARGS]{\"q\": \"x\"}",
            "", "", ("get_weather", "{\"city\": \"Rome\"}"), ("search", "{\"q\": \"x\"}"));
    }

    [Theory]
    [InlineData(ToolCallFormat.Hermes, "Hi <tool_call>not json</tool_call> there")]
    [InlineData(ToolCallFormat.Hermes, "<tool_call>{\"arguments\": {}}</tool_call>")]
    [InlineData(ToolCallFormat.Hermes, "<tool_call>{\"name\": 5, \"arguments\": {}}")]
    [InlineData(ToolCallFormat.MistralJson, "[TOOL_CALLS] oops")]
    [InlineData(ToolCallFormat.MistralArgs, "[TOOL_CALLS]bad name!{}")]
    [InlineData(ToolCallFormat.Llama3Json, "{not a call}")]
    public void Malformed_calls_fall_back_to_content_whole(ToolCallFormat format, string text)
    {
        AssertReply(Tools(format), text, "", text);
    }

    [Fact]
    public void A_call_cut_short_after_its_name_is_sent_as_far_as_it_got()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 1", "", "", ("f", "{\"x\": 1"));
    }

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_call_is_kept()
    {
        AssertReply(Tools(ToolCallFormat.Hermes, parallel: false),
            "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>",
            "", "", ("a", "{}"));
    }

    [Fact]
    public void Think_blocks_are_reasoning_and_calls_after_them_are_parsed()
    {
        AssertReply(new OutputParsing(ToolCallFormat.Hermes, true, false),
            "<think>\nThe user wants weather.\n</think>\n\n<tool_call>\n{\"name\": \"w\", \"arguments\": {}}\n</tool_call>",
            "The user wants weather.", "", ("w", "{}"));
    }

    [Fact]
    public void A_prompt_that_opened_think_makes_the_reply_start_as_reasoning()
    {
        AssertReply(new OutputParsing(ToolCallFormat.None, true, true), "Hmm, 2+2.</think>\n\nIt is 4.", "Hmm, 2+2.", "It is 4.");
        AssertReply(new OutputParsing(ToolCallFormat.None, true, true), "Still thinking <", "Still thinking <", "");
        AssertReply(new OutputParsing(ToolCallFormat.None, true, true), "\n  a \n b \n</think>c", "a \n b", "c");
    }

    [Fact]
    public void Text_without_think_tags_is_content_even_when_they_are_parsed()
    {
        AssertReply(new OutputParsing(ToolCallFormat.None, true, false), "  <thin air> is fine", "", "  <thin air> is fine");
    }

    [Fact]
    public void Markup_of_a_format_not_parsed_is_content()
    {
        AssertReply(OutputParsing.Text, "<tool_call>{\"name\": \"a\"}</tool_call><think>x</think>", "",
            "<tool_call>{\"name\": \"a\"}</tool_call><think>x</think>");
    }

    [Fact]
    public void Generic_json_replies_become_calls_or_content()
    {
        AssertReply(Tools(ToolCallFormat.Generic),
            " {\"tool_calls\": [{\"name\": \"a\", \"arguments\": {\"x\": [1, {}]}}, {\"name\": \"b\"}]}\n",
            "", "", ("a", "{\"x\": [1, {}]}"), ("b", "{}"));
        AssertReply(Tools(ToolCallFormat.Generic), "{\"content\": \"Hi \\\"there\\\"\"}", "", "Hi \"there\"");
        AssertReply(Tools(ToolCallFormat.Generic), "{\"tool_calls\": [{\"name\": \"a\"}], \"content\": \"Checking.\"}", "", "Checking.", ("a", "{}"));
        AssertReply(Tools(ToolCallFormat.Generic), "{\"tool_calls\": []}", "", "");
    }

    [Theory]
    [InlineData("Plain text {\"content\": 1}")]
    [InlineData("{\"answer\": 42}")]
    [InlineData("{\"tool_calls\": [{\"arguments\": {}}]}")]
    [InlineData("{\"content\": \"cut")]
    [InlineData("{\"bad\": \"\\q\"}")]
    public void Generic_replies_of_another_shape_are_content_as_written(string text)
    {
        AssertReply(Tools(ToolCallFormat.Generic), text, "", text);
    }

    [Fact]
    public void Bad_escapes_in_a_call_fall_back_to_content()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "<tool_call>{\"na\\qme\": \"f\"}</tool_call>", "", "<tool_call>{\"na\\qme\": \"f\"}</tool_call>");
    }

    private static void AssertCut(OutputParsing parsing, string text, string content, params (string Name, string Arguments)[] calls)
    {
        foreach (var pieces in ParsedReply.Splits(text))
        {
            var reply = ParsedReply.Of(parsing, pieces, cut: true);
            string at = $"split [{string.Join("|", pieces.Take(3))}…]";
            Assert.True(content == reply.Content, $"{at}: content '{reply.Content}'");
            Assert.Equal(calls.Select(c => (c.Name, c.Arguments)), reply.Calls.Select(c => (c.Name, c.Arguments)));
        }
    }

    [Fact]
    public void A_call_cut_before_its_name_is_dropped_not_left_in_content()
    {
        AssertCut(Tools(ToolCallFormat.Hermes),
            "Hi.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\" :\"",
            "Hi.\n", ("a", "{}"));
        AssertCut(Tools(ToolCallFormat.MistralArgs), "[TOOL_CALLS]get_wea", "");
        AssertCut(Tools(ToolCallFormat.Hermes), "Hi.<tool_ca", "Hi.");
        AssertCut(Tools(ToolCallFormat.MistralJson), "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"x\": 1}}, {\"na", "", ("f", "{\"x\": 1}"));
    }

    [Fact]
    public void A_call_cut_after_its_name_keeps_the_arguments_written_so_far()
    {
        AssertCut(Tools(ToolCallFormat.Hermes), "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"cit", "",
            ("get_weather", "{\"cit"));
    }

    [Fact]
    public void A_cut_generic_reply_keeps_the_content_and_the_named_calls_written_so_far()
    {
        AssertCut(new OutputParsing(ToolCallFormat.Generic, false, false), "{\"content\": \"a fairly \\\"long\\\" line\\nand", "a fairly \"long\" line\nand");
        AssertCut(new OutputParsing(ToolCallFormat.Generic, false, false), "{ \"tool_calls\": [{ \"name\" : \"get_", "");
        AssertCut(new OutputParsing(ToolCallFormat.Generic, false, false), "{ \"tool_calls\": [{ \"name\" : \"ping\" , \"arguments\" : {  } },{ \"name\" : \"pi",
            "", ("ping", "{  }"));
        AssertCut(new OutputParsing(ToolCallFormat.Generic, false, false),
            "{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\\\"q\", \"arguments\": {\"y\": ", "",
            ("a", "{\"x\": 1}"), ("b\"q", "{\"y\": "));
        AssertCut(new OutputParsing(ToolCallFormat.Generic, false, false, ParallelToolCalls: false),
            "{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {", "", ("a", "{}"));
    }

    [Fact]
    public void Text_that_only_looks_like_a_cut_call_opening_at_a_natural_end_stays_content()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "Use <tool_call> tags", "", "Use <tool_call> tags");
    }

    [Fact]
    public void A_hermes_call_whose_closing_tag_never_comes_is_still_a_call()
    {
        AssertReply(Tools(ToolCallFormat.Hermes), "Hi.<tool_call>\n{\"name\": \"a\", \"arguments\": {}}", "", "Hi.", ("a", "{}"));
    }
}
