using InferenceServer.Api.Output;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Tests.Output;

/// <summary>
/// Harmony replies (gpt-oss) as the model writes them after the prompt's <c>&lt;|start|&gt;assistant</c>: every split of
/// the text (two pieces at every position, and one character at a time) gives the same reply; analysis is reasoning,
/// final and preamble commentary are content, <c>to=functions.*</c> messages are calls; harmony words never reach
/// content or reasoning.
/// </summary>
public sealed class HarmonyParserTests
{
    private const string Analysis = "<|channel|>analysis<|message|>";
    private const string Final = "<|start|>assistant<|channel|>final<|message|>";

    private static OutputParsing Harmony(bool tools = true, bool parallel = true) =>
        new(tools ? ToolCallFormat.Harmony : ToolCallFormat.None, false, false, parallel, Channels: true);

    private static void AssertReply(OutputParsing parsing, string text, string reasoning, string content,
        (string Name, string Arguments)[] calls, bool cut = false)
    {
        foreach (var pieces in ParsedReply.Splits(text))
        {
            var reply = ParsedReply.Of(parsing, pieces, cut);
            string at = $"split [{string.Join("|", pieces.Take(3))}…]";
            Assert.True(reasoning == reply.Reasoning, $"{at}: reasoning '{reply.Reasoning}'");
            Assert.True(content == reply.Content, $"{at}: content '{reply.Content}'");
            Assert.True(calls.SequenceEqual(reply.Calls.Select(c => (c.Name, c.Arguments))),
                $"{at}: calls {string.Join("; ", reply.Calls.Select(c => $"{c.Name} {c.Arguments}"))}");
        }
    }

    [Fact]
    public void Analysis_is_reasoning_and_the_final_message_is_content()
    {
        AssertReply(Harmony(), $"{Analysis}User wants a greeting.<|end|>{Final}Hello! How can I help?", "User wants a greeting.",
            "Hello! How can I help?", []);
        // <|return|> ends generation; where it shows as text (ignore_eos) it is not content.
        AssertReply(Harmony(tools: false), $"{Analysis}Short.<|end|>{Final}Hi.<|return|>", "Short.", "Hi.", []);
    }

    [Fact]
    public void A_call_with_the_recipient_after_the_channel_streams_its_arguments()
    {
        AssertReply(Harmony(),
            $"{Analysis}Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>" +
            "{\"city\": \"Paris\", \"days\": [1, 2]}<|call|>",
            "Need the weather.", "", [("get_weather", "{\"city\": \"Paris\", \"days\": [1, 2]}")]);
    }

    [Fact]
    public void A_call_with_the_recipient_in_the_role_header_as_the_template_renders_it()
    {
        AssertReply(Harmony(), " to=functions.get_weather<|channel|>commentary json<|message|>{\"city\":\"Oslo\"}", "", "",
            [("get_weather", "{\"city\":\"Oslo\"}")]);
        AssertReply(Harmony(), $"{Analysis}x<|end|><|start|>assistant to=functions.book_table<|channel|>commentary json<|message|>{{\"n\": 2}}<|call|>",
            "x", "", [("book_table", "{\"n\": 2}")]);
    }

    [Fact]
    public void A_harmony_word_inside_an_argument_string_is_part_of_the_arguments()
    {
        AssertReply(Harmony(), "<|channel|>commentary to=functions.f<|message|>{\"city\": \"a<|start|>b\"}<|call|>", "", "",
            [("f", "{\"city\": \"a<|start|>b\"}")]);
    }

    [Fact]
    public void Arguments_that_are_not_json_end_at_the_next_harmony_word()
    {
        AssertReply(Harmony(), "<|channel|>commentary to=functions.f<|message|>{\"a\": 1<|call|><|start|>assistant<|channel|>final<|message|>Done.",
            "", "Done.", [("f", "{\"a\": 1")]);
    }

    [Fact]
    public void A_preamble_is_content_and_an_empty_call_body_is_an_empty_object()
    {
        AssertReply(Harmony(), "<|channel|>commentary<|message|>Checking the clock.<|end|><|start|>assistant<|channel|>commentary to=functions.now<|message|><|call|>",
            "", "Checking the clock.", [("now", "{}")]);
    }

    [Fact]
    public void Without_tools_and_for_built_in_recipients_calls_are_dropped()
    {
        string call = "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>";
        AssertReply(Harmony(tools: false), $"{Analysis}Hmm.<|end|>{call}", "Hmm.", "", []);
        AssertReply(Harmony(), $"{Analysis}Search.<|end|><|start|>assistant<|channel|>analysis to=browser.search<|message|>{{\"query\": \"x\"}}<|call|>",
            "Search.", "", []);
    }

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_call_is_kept()
    {
        string text = "<|channel|>commentary to=functions.a<|message|>{}<|call|><|start|>assistant<|channel|>commentary to=functions.b<|message|>{\"x\": 1}<|call|>";
        AssertReply(Harmony(parallel: false), text, "", "", [("a", "{}")]);
        AssertReply(Harmony(), text, "", "", [("a", "{}"), ("b", "{\"x\": 1}")]);
    }

    [Fact]
    public void Harmony_words_inside_a_body_and_stray_headers_never_reach_the_reply()
    {
        AssertReply(Harmony(), $"<|channel|>final<|message|>a<|message|>b<|constrain|>c", "", "abc", []);
        // gpt-oss sometimes prefixes a channel with a stray commentary header.
        AssertReply(Harmony(), $"<|channel|>commentary to=assistant{Analysis}x<|end|>{Final}y", "x", "y", []);
        // A message in another role (a made-up tool result) is dropped.
        AssertReply(Harmony(), $"{Analysis}x<|end|><|start|>functions.f to=assistant<|channel|>commentary<|message|>\"r\"<|end|>{Final}y", "x", "y", []);
    }

    [Fact]
    public void A_reply_that_ignores_the_format_is_content()
    {
        AssertReply(Harmony(), "Hello, world.", "", "Hello, world.", []);
        AssertReply(Harmony(), "Hello", "", "Hello", []);
        AssertReply(Harmony(), "a < b <| c", "", "a < b <| c", []);
    }

    [Fact]
    public void A_cut_reply_drops_a_half_written_header_and_keeps_a_started_call()
    {
        AssertReply(Harmony(), $"{Analysis}Why.<|end|><|start|>assistant<|channel|>commentary to=functions.get_wea", "Why.", "", [], cut: true);
        AssertReply(Harmony(), $"{Analysis}Why.<|end|><|start|>assistant<|chan", "Why.", "", [], cut: true);
        AssertReply(Harmony(), "<|channel|>commentary to=functions.get_weather<|message|>{\"ci", "", "", [("get_weather", "{\"ci")], cut: true);
    }

    [Fact]
    public void Reasoning_is_reported_while_the_analysis_body_is_open()
    {
        var parser = new ChoiceOutputParser(Harmony());
        parser.Add("<|channel|>analysis");
        Assert.False(parser.InReasoning);
        parser.Add("<|message|>Thinking");
        Assert.True(parser.InReasoning);
        parser.Add("<|end|>");
        Assert.False(parser.InReasoning);
    }

    [Fact]
    public void The_harmony_words_are_markers_the_detokenizer_shows()
    {
        Assert.Equal(["<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|end|>", "<|call|>", "<|return|>"], Harmony(tools: false).Markers);
        Assert.False(Harmony(tools: false).IsPlainText);
    }
}
