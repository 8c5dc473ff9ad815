using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// The first-character mask (single-character probe, then llama.cpp on the rest) equals llama.cpp's full mask at
/// every step of random walks through grammars: JSON schemas, non-ASCII literals, mid-character states (the walk picks
/// byte-fallback tokens too) and grammars where end-of-generation is allowed.
/// </summary>
[Collection("llama")]
public sealed class FirstCharMaskTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    public static TheoryData<string> Grammars() =>
    [
        JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":12},"n":{"type":"integer","minimum":-5,"maximum":900},
             "tags":{"type":"array","items":{"enum":["a b","ü€","x"]},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","n"]}
            """).RootElement),
        JsonSchemaGrammar.AnyObject(),
        "root ::= \"é\" [a-z]+ (\"€\" | \"→\") [ \\t]* \"<tool_call>\" [0-9]{1,3}",
        "root ::= ([^\"\\\\] | \"\\\\\" [nt])* \"!\"",
    ];

    [Theory]
    [MemberData(nameof(Grammars))]
    public void Equals_llama_cpps_full_mask_on_every_step(string gbnf)
    {
        int vocab = model.Weights.NativeHandle.Vocab.Count;
        for (int seed = 0; seed < 3; seed++)
        {
            var random = new Random(seed);
            using var grammar = GrammarSampler.Create(model.Weights.NativeHandle, gbnf);
            for (int step = 0; step < 40; step++)
            {
                var full = grammar.AllowedTokens(vocab, byFirstChar: false);
                var fast = grammar.AllowedTokens(vocab, byFirstChar: true);
                Assert.Equal(full, fast);
                // Tokens the sampler could take: allowed by llama.cpp and keeping the output well-formed UTF-8.
                var next = Enumerable.Range(0, vocab).Where(t => full[t] && grammar.TryAcceptable((LLamaToken)t)).ToList();
                if (next.Count == 0)
                    break;
                Assert.True(grammar.TryAccept((LLamaToken)next[random.Next(next.Count)]));
            }
        }
    }
}
