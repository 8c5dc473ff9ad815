using System.Text;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Streaming;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Engine.Execution;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Pairing token logprobs with the text that carries them, on the demo model's real tokenizer: a character split over
/// byte-fallback tokens goes out with all of its tokens at once, and stop strings keep the tokens before the cut.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LogprobTrackerTests(DemoServerFixture fixture)
{
    // Feeds each token through a detokenizer, stop matcher and tracker as the generator does; returns per token the
    // sent text and the tokens released with it.
    private List<(string Sent, string[] Tokens)> Run(string text, params string[] stop)
    {
        var tokenizer = fixture.Server.Model.Tokenizer;
        var detokenizer = tokenizer.CreateDetokenizer();
        var matcher = new StopStringMatcher(stop);
        var tracker = new LogprobTracker(tokenizer);
        int[] ids = tokenizer.Tokenize(text, parseSpecial: false).Where(id => tokenizer.TokenBytes(id).Length > 0).ToArray();
        var steps = new List<(string, string[])>();
        for (int i = 0; i < ids.Length && !matcher.Stopped; i++)
        {
            string piece = detokenizer.Add(ids[i]);
            tracker.Add(new TokenLogprobs(ids[i], -1f, []), piece);
            bool last = i == ids.Length - 1;
            string sent = matcher.Add(piece) + (last && !matcher.Stopped ? matcher.Flush() : "");
            var released = tracker.Release(sent, last || matcher.Stopped, matcher.Stopped);
            steps.Add((sent, released?.Select(r => r.Sampled.Token).ToArray() ?? []));
        }
        return steps;
    }

    [SkippableFact]
    public void A_character_split_over_byte_tokens_goes_out_with_all_of_its_tokens()
    {
        var steps = Run("a€b");

        Assert.Contains(steps, s => s is { Sent: "", Tokens: [] });
        var euro = steps.Single(s => s.Sent.Contains('€'));
        Assert.Equal([@"bytes:\xe2", @"bytes:\x82", @"bytes:\xac"], euro.Tokens.TakeLast(3));
        Assert.Equal("a€b", string.Concat(steps.Select(s => s.Sent)));
    }

    [SkippableFact]
    public void Text_offsets_count_code_points_and_bytes_reassemble_the_text()
    {
        var tokenizer = fixture.Server.Model.Tokenizer;
        var tracker = new LogprobTracker(tokenizer);
        var detokenizer = tokenizer.CreateDetokenizer();
        const string text = "x😀y é";
        var output = new List<OutputLogprob>();
        var sent = new StringBuilder();
        foreach (int id in tokenizer.Tokenize(text, parseSpecial: false).Where(id => tokenizer.TokenBytes(id).Length > 0))
        {
            string piece = detokenizer.Add(id);
            tracker.Add(new TokenLogprobs(id, -1f, []), piece);
            sent.Append(piece);
            output.AddRange(tracker.Release(piece, false, false) ?? []);
        }
        output.AddRange(tracker.Release("", true, false) ?? []);

        Assert.EndsWith(text, sent.ToString());
        Assert.EndsWith(text, Encoding.UTF8.GetString(output.SelectMany(o => o.Sampled.Bytes).ToArray()));
        // A token that starts a character is at the code-point count of the text before it; one that continues a
        // character shares the offset of the token that started it.
        for (int i = 0; i < output.Count; i++)
        {
            byte[] before = output.Take(i).SelectMany(p => p.Sampled.Bytes).ToArray();
            int expected = System.Text.Unicode.Utf8.IsValid(before) ? Encoding.UTF8.GetString(before).EnumerateRunes().Count() : output[i - 1].TextOffset;
            Assert.True(expected == output[i].TextOffset,
                $"token {i} '{output[i].Sampled.Token}': offset {output[i].TextOffset}, expected {expected}; tokens: {string.Join('|', output.Select(o => o.Sampled.Token))}");
        }
    }

    [SkippableFact]
    public void A_stop_string_keeps_the_tokens_that_start_before_the_cut()
    {
        var steps = Run("hello world again", "wor");

        string sent = string.Concat(steps.Select(s => s.Sent));
        string listed = string.Concat(steps.SelectMany(s => s.Tokens));
        Assert.Equal("hello ", sent);
        Assert.StartsWith(sent, listed);
        Assert.DoesNotContain("again", listed);
    }

    [Theory]
    [InlineData(new byte[] { 0x68, 0x69 }, "hi")]
    [InlineData(new byte[] { 0xE2, 0x80 }, @"bytes:\xe2\x80")]
    [InlineData(new byte[] { 0x20, 0xC3 }, @"bytes:\x20\xc3")]
    [InlineData(new byte[] { }, "")]
    public void Token_text_is_the_utf8_text_or_its_escaped_bytes(byte[] bytes, string expected) =>
        Assert.Equal(expected, LogprobTracker.TokenText(bytes));
}
