using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>A grammar is parsed once per text and model; each sequence gets its own state cloned from that parse.</summary>
[Collection("llama")]
public sealed class GrammarPrototypesTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static LLamaToken Byte(char c) => (LLamaToken)(SyntheticVocabulary.FirstByteId + c);

    [Fact]
    public void Two_states_of_one_grammar_share_a_parse_and_move_independently()
    {
        string gbnf = $"root ::= \"ab\" | \"ac\" # {Guid.NewGuid():N}";
        long before = GrammarPrototypes.NumCompiled;

        using var first = GrammarSampler.Create(model.Weights.NativeHandle, gbnf);
        using var second = GrammarSampler.Create(model.Weights.NativeHandle, gbnf);

        Assert.Equal(before + 1, GrammarPrototypes.NumCompiled);
        Assert.True(first.TryAccept(Byte('a')));
        Assert.True(first.TryAccept(Byte('b')));
        Assert.True(first.IsComplete);
        Assert.False(second.IsComplete);
        Assert.False(second.TryAccept(Byte('b')));
        Assert.True(second.TryAccept(Byte('a')));
        Assert.True(second.TryAccept(Byte('c')));
        Assert.True(second.IsComplete);
    }

    [Fact]
    public void A_grammar_that_does_not_parse_is_not_cached_and_fails_every_time()
    {
        string gbnf = $"root ::= undefined-rule # {Guid.NewGuid():N}";

        Assert.Throws<GrammarException>(() => GrammarSampler.Create(model.Weights.NativeHandle, gbnf));
        Assert.Throws<GrammarException>(() => GrammarSampler.Create(model.Weights.NativeHandle, gbnf));
    }

    [Fact]
    public void More_grammars_than_the_cache_holds_evict_the_least_recently_used_not_the_newest()
    {
        string tag = Guid.NewGuid().ToString("N");
        var first = $"root ::= \"a\" # first {tag}";
        GrammarSampler.Create(model.Weights.NativeHandle, first).Dispose();
        for (int i = 0; i < GrammarPrototypes.Capacity; i++)
        {
            using var state = GrammarSampler.Create(model.Weights.NativeHandle, $"root ::= \"a\" # {i} {tag}");
            Assert.True(state.TryAccept(Byte('a')));
        }
        long compiled = GrammarPrototypes.NumCompiled;

        using var again = GrammarSampler.Create(model.Weights.NativeHandle, first);

        Assert.Equal(compiled + 1, GrammarPrototypes.NumCompiled);
        Assert.True(again.TryAccept(Byte('a')));
    }
}
