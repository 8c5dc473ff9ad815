using InferenceServer.Api.Streaming;

namespace InferenceServer.Api.Tests;

public class StopStringMatcherTests
{
    [Fact]
    public void Holds_back_a_possible_start_of_a_stop_string_until_it_is_decided()
    {
        var m = new StopStringMatcher(["END"]);

        Assert.Equal("abc ", m.Add("abc E"));
        Assert.Equal("", m.Add("N"));
        Assert.Equal("ENx", m.Add("x"));   // "ENx" is not "END": released
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void Stops_at_the_earliest_match_across_pieces_and_sends_nothing_after()
    {
        var m = new StopStringMatcher(["world", "lo w"]);

        Assert.Equal("hel", m.Add("hello w"));
        Assert.True(m.Stopped);
        Assert.Equal("", m.Add("more"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void A_stop_string_split_over_many_pieces_is_caught()
    {
        var m = new StopStringMatcher(["<|stop|>"]);
        string sent = string.Concat("Answer: 42<|st".Select(c => m.Add(c.ToString()))) + m.Add("op|> trailing");

        Assert.Equal("Answer: 42", sent);
        Assert.True(m.Stopped);
    }

    [Fact]
    public void Held_text_is_released_at_the_end_when_no_stop_string_completes()
    {
        var m = new StopStringMatcher(["\n\nUser:"]);

        Assert.Equal("Done.", m.Add("Done.\n\nUs"));
        Assert.Equal("\n\nUs", m.Flush());
        Assert.False(m.Stopped);
    }

    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        var m = new StopStringMatcher([]);
        Assert.Equal("anything", m.Add("anything"));
    }
}
