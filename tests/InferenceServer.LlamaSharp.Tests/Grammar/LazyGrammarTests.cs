using System.Text;
using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// llama.cpp's lazy grammar through our binding: asleep it allows everything, a trigger wakes it with the text from the
/// trigger (capture group) on, and a wake whose text the grammar rejects is refused before llama.cpp sees it.
/// </summary>
[Collection("llama")]
public sealed class LazyGrammarTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static LLamaToken Byte(char c) => (LLamaToken)(SyntheticVocabulary.FirstByteId + c);

    private GrammarSampler Create(string gbnf, GrammarTriggers? triggers = null, string? startAfter = null) =>
        GrammarSampler.Create(model.Weights.NativeHandle, gbnf, triggers, startAfter);

    private static bool Walk(GrammarSampler g, string text) => text.All(c => g.TryAccept(Byte(c)));

    [Fact]
    public void A_word_trigger_wakes_the_grammar_which_then_starts_at_the_word()
    {
        using var g = Create("root ::= \"@call(\" [0-9]+ \")\"", GrammarTriggers.OfWords("@call"));
        Assert.True(Walk(g, "any text at all: (x) 12"));
        Assert.True(g.IsDormant);
        Assert.True(g.IsComplete);
        Assert.True(Walk(g, "@cal"));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, "l"));
        Assert.False(g.IsDormant);
        Assert.False(g.TryAccept(Byte('x')));
        Assert.True(Walk(g, "(42)"));
        Assert.True(g.IsComplete);
        Assert.False(g.TryAccept(Byte(' ')));
    }

    [Fact]
    public void A_word_that_is_one_token_also_wakes_as_a_trigger_token()
    {
        var handle = model.Weights.NativeHandle;
        Assert.Single(GrammarPrototypes.TriggerTokens(handle, GrammarTriggers.OfWords("@")));
        Assert.Empty(GrammarPrototypes.TriggerTokens(handle, GrammarTriggers.OfWords("@call")));
        using var g = Create("root ::= \"@\" [0-9]", GrammarTriggers.OfWords("@"));
        Assert.True(Walk(g, "mail me"));
        Assert.True(Walk(g, "@"));
        Assert.False(g.IsDormant);
        Assert.False(g.TryAccept(Byte('@')));
        Assert.True(Walk(g, "5"));
        Assert.True(g.IsComplete);
    }

    [Fact]
    public void A_whole_text_pattern_wakes_only_when_all_the_text_matches()
    {
        using var g = Create("root ::= \"{\" [a-z]* \"}\"", new GrammarTriggers([], ["^\\s*(\\{)$"]));
        Assert.True(Walk(g, "x {"));
        Assert.True(g.IsDormant);
        using var h = Create("root ::= \"{\" [a-z]* \"}\"", new GrammarTriggers([], ["^\\s*(\\{)$"]));
        Assert.True(Walk(h, "  {"));
        Assert.False(h.IsDormant);
        Assert.True(Walk(h, "ab}"));
        Assert.True(h.IsComplete);
    }

    [Fact]
    public void A_pattern_feeds_the_grammar_from_its_first_capture_group()
    {
        // The match starts at "call:" but the grammar is fed from the group, "[".
        using var g = Create("root ::= \"[\" [a-z]+ \"]\"", new GrammarTriggers([], ["call:(\\[)"]));
        Assert.True(Walk(g, "text call:"));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, "["));
        Assert.False(g.IsDormant);
        Assert.False(g.TryAccept(Byte('1')));
        Assert.True(Walk(g, "ab]"));
        Assert.True(g.IsComplete);
    }

    [Fact]
    public void A_wake_with_text_the_grammar_rejects_is_refused_not_fed()
    {
        // "go5" would wake the grammar with "5" (the group), which it cannot start with: llama.cpp would throw inside
        // the sampler, so the token is refused and the grammar sleeps on.
        using var g = Create("root ::= \"a\" [0-9]", new GrammarTriggers([], ["go([0-9])"]));
        Assert.True(Walk(g, "go"));
        Assert.False(g.TryAccept(Byte('5')));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, "x"));
    }

    [Fact]
    public void Check_refuses_bad_triggers_and_a_grammar_that_cannot_begin_with_its_word()
    {
        var handle = model.Weights.NativeHandle;
        Assert.Null(GrammarSampler.Check(handle, "root ::= \"<t>\" [0-9]", GrammarTriggers.OfWords("<t>")));
        Assert.Contains("cannot begin with the trigger", GrammarSampler.Check(handle, "root ::= \"x\" [0-9]", GrammarTriggers.OfWords("<t>")));
        Assert.Contains("not a valid ECMAScript", GrammarSampler.Check(handle, "root ::= \"x\"", new GrammarTriggers([], ["(unclosed"])));
        Assert.Contains("does not know", GrammarSampler.Check(handle, "root ::= \"x\"", new GrammarTriggers([], ["(?<=a)x"])));
        Assert.Contains("does not know", GrammarSampler.Check(handle, "root ::= \"x\"", new GrammarTriggers([], ["\\p{L}x"])));
        Assert.Null(GrammarSampler.Check(handle, "root ::= \"x\"", new GrammarTriggers([], ["[(?<]?(?:y|z)(?!w)(x)"])));
        Assert.Contains("at least one trigger", GrammarSampler.Check(handle, "root ::= \"x\"", new GrammarTriggers([], [])));
        Assert.NotNull(GrammarSampler.Check(handle, "root ::= [z-a]", GrammarTriggers.OfWords("z")));
        Assert.NotNull(GrammarSampler.Check(handle, "root ::= undefined", GrammarTriggers.OfWords("z")));
    }

    [Fact]
    public void A_lazy_grammar_is_cached_apart_from_the_same_text_applied_at_once()
    {
        string gbnf = $"root ::= \"ab\" # {Guid.NewGuid():N}";
        long before = GrammarPrototypes.NumCompiled;
        using (Create(gbnf)) { }
        using (Create(gbnf, GrammarTriggers.OfWords("a"))) { }
        using (Create(gbnf, GrammarTriggers.OfWords("a"))) { }
        Assert.Equal(before + 2, GrammarPrototypes.NumCompiled);
    }

    [Fact]
    public void The_reasoning_gate_leaves_the_reasoning_free_and_constrains_what_follows()
    {
        string gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""").RootElement);
        var gated = ReasoningGate.AfterReasoning(new GrammarConstraint(gbnf));
        using var g = Create(gated.Gbnf, gated.Triggers, gated.StartAfter);
        Assert.True(Walk(g, "<think>maybe {\"n\": \"x\"} or not</think"));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, ">"));
        Assert.False(g.IsDormant);
        Assert.False(g.TryAccept(Byte('x')));
        Assert.True(Walk(g, "\n\n{\"n\": 4}"));
        Assert.True(g.IsComplete);
    }

    [Theory]
    [InlineData("{\"n\": 4}", true)]
    [InlineData("<think>maybe {\"n\": \"x\"} <b>or</b> not</think>\n\n{\"n\": 4}", true)]
    [InlineData("<think></think>{\"n\": 4}", true)]
    [InlineData("<think>no end {\"n\": 4}", false)]
    [InlineData("<think>a</think>b</think>{\"n\": 4}", false)]
    [InlineData("<think>a<think>b</think>{\"n\": 4}", false)]
    [InlineData("<think>a <t <th <thin> </thin> </ b</think>{\"n\": 4}", true)]
    [InlineData("text first {\"n\": 4}", false)]
    [InlineData("<think>a</think>\n\n\n\n\n{\"n\": 4}", false)]
    public void An_optional_reasoning_block_may_come_before_an_eager_grammar(string text, bool complete)
    {
        string gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""").RootElement);
        var optional = ReasoningGate.OptionalReasoningFirst(new GrammarConstraint(gbnf));
        Assert.Null(optional.StartAfter);
        using var g = Create(optional.Gbnf, optional.Triggers, optional.StartAfter);
        Assert.False(g.IsDormant);
        Assert.Equal(complete, Walk(g, text) && g.IsComplete);
    }

    [Fact]
    public void An_optional_reasoning_block_leaves_lazy_and_gated_grammars_alone()
    {
        var lazy = new GrammarConstraint("root ::= \"<c>\" [0-9]", GrammarTriggers.OfWords("<c>"));
        Assert.Equal(lazy, ReasoningGate.OptionalReasoningFirst(lazy));
        var gated = ReasoningGate.AfterReasoning(new GrammarConstraint("root ::= [0-9]"));
        Assert.Equal(gated, ReasoningGate.OptionalReasoningFirst(gated));
    }

    [Fact]
    public void Quiet_triggers_do_not_wake_inside_a_reasoning_block_the_reply_opens()
    {
        var quiet = ReasoningGate.QuietInReasoning(new GrammarConstraint("root ::= \"<c>\" [0-9]", GrammarTriggers.OfWords("<c>")));
        Assert.True(quiet.Triggers!.QuietInReasoning);
        using var g = Create(quiet.Gbnf, quiet.Triggers, quiet.StartAfter);
        Assert.True(Walk(g, "\n<think>I could write <c"));
        Assert.False(g.TryAccept(Byte('>')));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, "x, then</thi"));
        Assert.True(Walk(g, "<c"));
        Assert.False(g.TryAccept(Byte('>')));
        using var h = Create(quiet.Gbnf, quiet.Triggers, quiet.StartAfter);
        Assert.True(Walk(h, "<think>I could write <cx, then</think>\n<c>"));
        Assert.False(h.IsDormant);
        Assert.True(Walk(h, "7"));
        Assert.True(h.IsComplete);
        // A reply that does not open with reasoning wakes as before.
        using var free = Create(quiet.Gbnf, quiet.Triggers, quiet.StartAfter);
        Assert.True(Walk(free, "text <think> <c>"));
        Assert.False(free.IsDormant);
    }

    [Fact]
    public void A_gated_lazy_grammar_listens_for_its_trigger_only_after_the_reasoning()
    {
        var gated = ReasoningGate.AfterReasoning(new GrammarConstraint("root ::= \"<c>\" [0-9]", GrammarTriggers.OfWords("<c>")));
        using var g = Create(gated.Gbnf, gated.Triggers, gated.StartAfter);
        Assert.True(Walk(g, "<think>I could write <c>x here</think>then text "));
        Assert.True(g.IsDormant);
        Assert.True(Walk(g, "<c>"));
        Assert.False(g.IsDormant);
        Assert.False(g.TryAccept(Byte('x')));
        Assert.True(Walk(g, "7"));
        Assert.True(g.IsComplete);
    }
}
