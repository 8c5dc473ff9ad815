using InferenceServer.Api.Output;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Tests.Output;

/// <summary>
/// DeepSeek R1 and V3.1 tool calls as their templates write them: every split of the text (two pieces at every
/// position, and one character at a time) gives the same reply; markup never reaches content unless the call is
/// malformed before its name, then the text is content whole; a cut reply drops a call cut before its name.
/// </summary>
public sealed class DeepSeekToolCallParserTests
{
    private const string Begin = "<｜tool▁calls▁begin｜>";
    private const string End = "<｜tool▁calls▁end｜>";
    private const string CallBegin = "<｜tool▁call▁begin｜>";
    private const string CallEnd = "<｜tool▁call▁end｜>";
    private const string Sep = "<｜tool▁sep｜>";

    private static string R1Call(string name, string arguments) => $"{CallBegin}function{Sep}{name}\n```json\n{arguments}\n```{CallEnd}";

    private static string V31Call(string name, string arguments) => $"{CallBegin}{name}{Sep}{arguments}{CallEnd}";

    private static OutputParsing Tools(ToolCallFormat format, bool parallel = true, bool thinkTags = false) => new(format, thinkTags, false, parallel);

    private static void AssertReply(OutputParsing parsing, string text, string content, (string Name, string Arguments)[] calls, bool cut = false, string reasoning = "")
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
    public void R1_calls_after_text_are_parsed_and_the_text_is_content()
    {
        string text = $"Checking.{Begin}{R1Call("get_weather", "{\"city\": \"Paris\"}")}\n{R1Call("book", "{\"n\": 2}")}{End}";
        AssertReply(Tools(ToolCallFormat.DeepSeekR1), text, "Checking.", [("get_weather", "{\"city\": \"Paris\"}"), ("book", "{\"n\": 2}")]);
    }

    [Fact]
    public void V31_calls_are_parsed()
    {
        string text = $"{Begin}{V31Call("get_weather", "{\"city\": \"Paris\"}")}{V31Call("book", "{}")}{End}";
        AssertReply(Tools(ToolCallFormat.DeepSeekV31), text, "", [("get_weather", "{\"city\": \"Paris\"}"), ("book", "{}")]);
    }

    [Fact]
    public void R1_reasoning_comes_first_and_arguments_written_as_a_json_string_are_sent_decoded()
    {
        string text = $"Need it.</think>\n\n{Begin}{R1Call("f", "\"{\\\"x\\\": 1}\"")}{End}";
        AssertReply(new OutputParsing(ToolCallFormat.DeepSeekR1, true, true), text, "", [("f", "{\"x\": 1}")], reasoning: "Need it.");
    }

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_call_is_kept()
    {
        string text = $"{Begin}{V31Call("a", "{}")}{V31Call("b", "{}")}{End}";
        AssertReply(Tools(ToolCallFormat.DeepSeekV31, parallel: false), text, "", [("a", "{}")]);
    }

    [Fact]
    public void Text_after_the_calls_is_content()
    {
        AssertReply(Tools(ToolCallFormat.DeepSeekV31), $"{Begin}{V31Call("a", "{}")}{End} Done.", "Done.", [("a", "{}")]);
        // Without the closing words the text after the call is still content.
        AssertReply(Tools(ToolCallFormat.DeepSeekR1), $"{Begin}{CallBegin}function{Sep}a\n```json\n{{}}\n``` Done.", "Done.", [("a", "{}")]);
    }

    [Theory]
    [InlineData(ToolCallFormat.DeepSeekR1, "Hi " + Begin + "oops")]
    [InlineData(ToolCallFormat.DeepSeekR1, Begin + CallBegin + "function" + Sep + "bad name!\n```json\n{}")]
    [InlineData(ToolCallFormat.DeepSeekR1, Begin + CallBegin + "function" + Sep + "f\nnot a fence")]
    [InlineData(ToolCallFormat.DeepSeekV31, Begin + CallBegin + "bad name" + Sep + "{}")]
    [InlineData(ToolCallFormat.DeepSeekV31, Begin + CallBegin + Sep + "{}")]
    public void Malformed_calls_fall_back_to_content_whole(ToolCallFormat format, string text)
    {
        AssertReply(Tools(format), text, text, []);
    }

    [Fact]
    public void A_call_cut_before_its_name_is_dropped_and_one_cut_after_keeps_its_arguments()
    {
        AssertReply(Tools(ToolCallFormat.DeepSeekR1), $"Hi.{Begin}{CallBegin}function{Sep}get_wea", "Hi.", [], cut: true);
        AssertReply(Tools(ToolCallFormat.DeepSeekV31), "Hi.<｜tool▁ca", "Hi.", [], cut: true);
        AssertReply(Tools(ToolCallFormat.DeepSeekV31), $"{Begin}{V31Call("a", "{}")}{CallBegin}b", "", [("a", "{}")], cut: true);
        AssertReply(Tools(ToolCallFormat.DeepSeekR1), $"{Begin}{CallBegin}function{Sep}f\n```json\n{{\"cit", "", [("f", "{\"cit")], cut: true);
    }

    [Fact]
    public void A_reply_that_ends_after_a_call_without_the_closing_words_keeps_the_call()
    {
        AssertReply(Tools(ToolCallFormat.DeepSeekV31), $"{Begin}{CallBegin}a{Sep}{{\"x\": 1}}", "", [("a", "{\"x\": 1}")]);
    }
}
