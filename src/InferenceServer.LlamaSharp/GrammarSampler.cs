using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// A sequence's grammar stage: llama.cpp's grammar sampler with its own parse state, following every token the
/// sequence accepts. <see cref="Sample"/> draws from the sequence's chain first and checks only the drawn token
/// against the grammar; only when the grammar rejects it is the whole vocabulary masked and the chain run again on
/// what the grammar allows (the order llama.cpp's server uses). End-of-generation tokens pass only where the grammar
/// is complete, so a finished grammar leaves nothing else to sample.
/// </summary>
public sealed class GrammarSampler : IDisposable
{
    private readonly SafeLLamaSamplerChainHandle _grammar;
    private readonly LLamaToken _fallbackEnd;
    private LLamaTokenData[] _candidates = [];
    private readonly LLamaTokenData[] _single = new LLamaTokenData[1];
    private readonly Utf8Guard _utf8 = new();
    private readonly byte[][] _tokenBytes;

    private GrammarSampler(SafeLLamaSamplerChainHandle grammar, LLamaToken fallbackEnd, byte[][] tokenBytes)
    {
        _grammar = grammar;
        _fallbackEnd = fallbackEnd;
        _tokenBytes = tokenBytes;
    }

    /// <summary>Compiles <paramref name="gbnf"/> (start rule <c>root</c>) for <paramref name="model"/>'s vocabulary.</summary>
    /// <exception cref="GrammarException">llama.cpp could not parse it; the message is llama.cpp's.</exception>
    public static GrammarSampler Create(SafeLlamaModelHandle model, string gbnf) =>
        new(GrammarPrototypes.NewState(model, gbnf), model.Vocab.EOS ?? model.Vocab.EOT ?? default, TokenBytes.For(model));

    /// <summary>
    /// Null when llama.cpp accepts <paramref name="gbnf"/> and some output can satisfy it, else why not: llama.cpp's
    /// explanation, or that no token of the vocabulary can begin it while it does not match empty text either (e.g.
    /// <c>[z-a]</c>, or a code point past U+10FFFF that no UTF-8 text holds).
    /// </summary>
    public static string? Check(SafeLlamaModelHandle model, string gbnf)
    {
        if (NonCharacterEscape(gbnf) is { } escape)
            return $"{escape} is not a Unicode scalar value (surrogates and code points past U+10FFFF never occur in UTF-8 text)";
        GrammarSampler grammar;
        try
        {
            // Compiles into the shared cache, so the engine thread later only clones it.
            grammar = Create(model, gbnf);
        }
        catch (GrammarException ex)
        {
            return ex.Message;
        }
        using var _ = grammar;
        return grammar.IsComplete || grammar.CanBegin(model.Vocab.Count) ? null
            : "it matches no text: no token can begin it and it does not match empty text";
    }

    // The first \uHHHH or \UHHHHHHHH escape naming a surrogate or a code point past U+10FFFF.
    private static string? NonCharacterEscape(string gbnf)
    {
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(gbnf, @"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))"))
        {
            long value = Convert.ToInt64(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, 16);
            if (value is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
                return m.Value;
        }
        return null;
    }

    // Whether any token of the vocabulary is allowed here: one grammar pass over the whole vocabulary.
    private bool CanBegin(int vocabSize)
    {
        var candidates = new LLamaTokenData[vocabSize];
        for (int t = 0; t < vocabSize; t++)
            candidates[t] = new LLamaTokenData((LLamaToken)t, 0f, 0f);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(candidates, false), out var native);
        _grammar.Apply(ref native);
        var data = native.Data;
        for (int i = 0; i < data.Length; i++)
            if (!float.IsNegativeInfinity(data[i].Logit) && _utf8.Admits(_tokenBytes[(int)data[i].ID]))
                return true;
        return false;
    }

    /// <summary>
    /// Picks the token for logits row <paramref name="row"/> with <paramref name="chain"/> among the tokens the grammar
    /// allows, then advances both the chain and the grammar by it.
    /// </summary>
    public LLamaToken Sample(SafeLLamaContextHandle context, int row, SafeLLamaSamplerChainHandle chain)
    {
        var logits = context.GetLogitsIth(row);
        if (_candidates.Length < logits.Length)
            _candidates = new LLamaTokenData[logits.Length];
        var token = Draw(logits, chain, masked: false);
        if (!Fits(token))
        {
            token = Draw(logits, chain, masked: true);
            if (!Fits(token))
                // Nothing in the vocabulary continues the grammar (cannot happen with byte-fallback vocabularies):
                // end the sequence rather than feed the grammar a token it rejects, which aborts llama.cpp.
                return Accepted(_fallbackEnd, chain, grammar: false);
        }
        return Accepted(token, chain, grammar: true);
    }

    /// <summary>Advances the grammar alone by <paramref name="token"/> if it allows it (lets tests walk a text through it).</summary>
    internal bool TryAccept(LLamaToken token)
    {
        if (!Fits(token))
            return false;
        _grammar.Accept(token);
        _utf8.Accept(_tokenBytes[(int)token]);
        return true;
    }

    /// <summary>True when the grammar is complete here: end-of-generation is allowed.</summary>
    internal bool IsComplete => Allows(_fallbackEnd);

    private LLamaToken Draw(ReadOnlySpan<float> logits, SafeLLamaSamplerChainHandle chain, bool masked)
    {
        var array = LLamaTokenDataArray.Create(logits, _candidates.AsMemory(0, logits.Length));
        using var pin = LLamaTokenDataArrayNative.Create(array, out var native);
        if (masked)
        {
            _grammar.Apply(ref native);
            // The grammar sees code points; tokens whose bytes would break UTF-8 go too.
            var data = native.Data;
            for (int i = 0; i < data.Length; i++)
                if (!float.IsNegativeInfinity(data[i].Logit) && !_utf8.Admits(_tokenBytes[(int)data[i].ID]))
                    data[i].Logit = float.NegativeInfinity;
        }
        chain.Apply(ref native);
        return native.Data[checked((int)native.Selected)].ID;
    }

    // Allowed by the grammar, and its bytes keep the output well-formed UTF-8.
    private bool Fits(LLamaToken token) => _utf8.Admits(_tokenBytes[(int)token]) && Allows(token);

    private bool Allows(LLamaToken token)
    {
        _single[0] = new LLamaTokenData(token, 0f, 0f);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(_single, true), out var native);
        _grammar.Apply(ref native);
        return !float.IsNegativeInfinity(native.Data[0].Logit);
    }

    private LLamaToken Accepted(LLamaToken token, SafeLLamaSamplerChainHandle chain, bool grammar)
    {
        if (grammar)
        {
            _grammar.Accept(token);
            _utf8.Accept(_tokenBytes[(int)token]);
        }
        chain.Accept(token);
        return token;
    }

    /// <inheritdoc />
    public void Dispose() => _grammar.Dispose();
}
