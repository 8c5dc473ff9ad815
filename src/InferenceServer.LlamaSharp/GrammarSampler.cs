using InferenceServer.Engine.Grammar;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// A sequence's grammar stage: llama.cpp's grammar sampler with its own parse state, following every token the
/// sequence accepts. <see cref="Sample"/> draws from the sequence's chain first and checks only the drawn token
/// against the grammar; only when the grammar rejects it is the whole vocabulary masked and the chain run again on
/// what the grammar allows (the order llama.cpp's server uses). End-of-generation tokens pass only where the grammar
/// is complete, so a finished grammar leaves nothing else to sample.
/// </summary>
/// <remarks>
/// A grammar may start late. With a start marker (<see cref="GrammarConstraint.StartAfter"/>) no grammar state exists
/// until the output contains the marker; a token that would end the marker and carry more text is refused, so the
/// grammar starts exactly after it. A lazy grammar (<see cref="GrammarTriggers"/>) sleeps until a trigger: llama.cpp
/// then allows every token, so the drawn token passes at once (the first draw stays the only draw) unless it would
/// wake the grammar with text the grammar rejects (see <see cref="TriggerWatch"/>); such a token is masked and the
/// chain draws again. Output stays free, UTF-8 checks included, until the grammar wakes.
/// </remarks>
public sealed partial class GrammarSampler : IDisposable
{
    private const int MaxRedraws = 8;
    private readonly SafeLlamaModelHandle _model;
    private readonly string _gbnf;
    private readonly GrammarTriggers? _triggers;
    private readonly StartMarker? _start;
    private SafeLLamaSamplerChainHandle? _grammar;
    private TriggerWatch? _watch;
    private readonly LLamaToken _fallbackEnd;
    private LLamaTokenData[] _candidates = [];
    private readonly LLamaTokenData[] _single = new LLamaTokenData[1];
    private Utf8Guard _utf8 = new();
    private Utf8Guard? _wokenUtf8;
    private readonly byte[][] _tokenBytes;
    private readonly byte[][] _pieces;
    private readonly List<LLamaToken> _refused = [];
    private readonly ReasoningSpan? _reasoning;
    private readonly int[] _hiddenTokens;
    private readonly HashSet<int> _hidden;

    private GrammarSampler(SafeLlamaModelHandle model, string gbnf, GrammarTriggers? triggers, string? startAfter)
    {
        _model = model;
        _gbnf = gbnf;
        _triggers = triggers;
        _fallbackEnd = model.Vocab.EOS ?? model.Vocab.EOT ?? default;
        _tokenBytes = TokenBytes.For(model);
        _pieces = TokenBytes.WithSpecial(model);
        _reasoning = triggers?.QuietInReasoning == true ? new ReasoningSpan() : null;
        // Tokens that would show in the grammar's text but not in the reply (a control token inside a JSON string
        // would count toward its length and vanish from content): refused, unless the grammar names them as markers.
        _hiddenTokens = [.. TokenBytes.Hidden(model).Where(h => !gbnf.Contains(h.Text, StringComparison.Ordinal)).Select(h => h.Token)];
        _hidden = [.. _hiddenTokens];
        if (startAfter is null)
            Start();
        else
            _start = new StartMarker(startAfter);
    }

    /// <summary>
    /// Compiles <paramref name="gbnf"/> (start rule <c>root</c>) for <paramref name="model"/>'s vocabulary, lazy when
    /// <paramref name="triggers"/> is set and starting after <paramref name="startAfter"/> when that is set.
    /// </summary>
    /// <exception cref="GrammarException">llama.cpp could not parse it; the message is llama.cpp's.</exception>
    public static GrammarSampler Create(SafeLlamaModelHandle model, string gbnf, GrammarTriggers? triggers = null, string? startAfter = null) =>
        new(model, gbnf, triggers, startAfter);

    /// <summary>True while the grammar does not constrain the output (before its start marker, or asleep).</summary>
    internal bool IsDormant => _grammar is null || _watch is { Awake: false };

    private void Start()
    {
        // Compiled (or cloned) before the watch: a grammar that does not parse throws here.
        _grammar = GrammarPrototypes.NewState(_model, _gbnf, _triggers);
        if (_triggers is not null)
            _watch = new TriggerWatch(_triggers.AllPatterns(), GrammarPrototypes.TriggerTokens(_model, _triggers));
    }

    /// <summary>
    /// Picks the token for logits row <paramref name="row"/> with <paramref name="chain"/> among the tokens the grammar
    /// allows, then advances both the chain and the grammar by it. With the chain's <paramref name="scores"/>, a
    /// refused first draw is followed by a walk down those scores before any mask (the same pick, found cheaper).
    /// </summary>
    public LLamaToken Sample(SafeLLamaContextHandle context, int row, SafeLLamaSamplerChainHandle chain, ChainScores? scores = null)
    {
        var logits = context.GetLogitsIth(row);
        if (_candidates.Length < logits.Length)
            _candidates = new LLamaTokenData[logits.Length];
        _refused.Clear();
        var token = Draw(logits, chain, masked: false);
        if (scores is not null && !IsDormant && !Fits(token))
            token = Walk(scores, logits.Length, token) ?? token;
        for (int redraw = 0; !Fits(token); redraw++)
        {
            // A masked draw of an awake grammar that still does not fit means nothing in the vocabulary continues the
            // grammar (cannot happen with byte-fallback vocabularies); a dormant one refuses a few tokens at most.
            // Either way, end the sequence rather than feed the grammar a token it rejects, which aborts llama.cpp.
            if (redraw == MaxRedraws || (redraw > 0 && !IsDormant))
                return Accepted(_fallbackEnd, chain, grammar: false);
            _refused.Add(token);
            token = Draw(logits, chain, masked: true);
        }
        return Accepted(token, chain, grammar: true);
    }

    /// <summary>Advances the grammar alone by <paramref name="token"/> if it allows it (lets tests walk a text through it).</summary>
    internal bool TryAccept(LLamaToken token)
    {
        if (!Fits(token))
            return false;
        Advance(token);
        return true;
    }

    /// <summary>True when <see cref="TryAccept"/> would take <paramref name="token"/> (nothing changes).</summary>
    internal bool TryAcceptable(LLamaToken token) => Fits(token);

    /// <summary>True when the grammar is complete here: end-of-generation is allowed.</summary>
    internal bool IsComplete => _grammar is null || Allows(_fallbackEnd);

    private LLamaToken Draw(ReadOnlySpan<float> logits, SafeLLamaSamplerChainHandle chain, bool masked)
    {
        var array = LLamaTokenDataArray.Create(logits, _candidates.AsMemory(0, logits.Length));
        using var pin = LLamaTokenDataArrayNative.Create(array, out var native);
        if (masked)
        {
            var data = native.Data;
            if (!IsDormant)
            {
                ApplyGrammar(ref native);
                // The grammar sees code points; tokens whose bytes would break UTF-8 go too.
                for (int i = 0; i < data.Length; i++)
                    if (!float.IsNegativeInfinity(data[i].Logit) && !_utf8.Admits(_tokenBytes[(int)data[i].ID]))
                        data[i].Logit = float.NegativeInfinity;
                // So do hidden tokens (the array is in token order until the chain sorts it).
                foreach (int hidden in _hiddenTokens)
                    data[hidden].Logit = float.NegativeInfinity;
            }
            // Tokens already refused here (by the start marker or a wake the grammar rejects); the candidate array is
            // in token order until the chain sorts it.
            foreach (var refused in _refused)
                data[(int)refused].Logit = float.NegativeInfinity;
        }
        chain.Apply(ref native);
        return native.Data[checked((int)native.Selected)].ID;
    }

    // Allowed by the grammar, and its bytes keep the output well-formed UTF-8; while dormant, allowed unless it would
    // end the start marker mid-piece or wake the grammar with text the grammar rejects.
    private bool Fits(LLamaToken token)
    {
        if (_grammar is null)
            return _start!.Admits(_pieces[(int)token]);
        if (_watch is { Awake: false })
            return _watch.Predict((int)token, _pieces[(int)token]) is not { } replay
                || (_reasoning?.Holds(_pieces[(int)token]) != true && WakeFits(replay));
        return !_hidden.Contains((int)token) && _utf8.Admits(_tokenBytes[(int)token]) && Allows(token);
    }

    private bool Allows(LLamaToken token)
    {
        _single[0] = new LLamaTokenData(token, 0f, 0f);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(_single, true), out var native);
        _grammar!.Apply(ref native);
        return !float.IsNegativeInfinity(native.Data[0].Logit);
    }

    private LLamaToken Accepted(LLamaToken token, SafeLLamaSamplerChainHandle chain, bool grammar)
    {
        if (grammar)
            Advance(token);
        chain.Accept(token);
        return token;
    }

    private void Advance(LLamaToken token)
    {
        _probeFresh = false;
        if (_grammar is null)
        {
            if (_start!.Accept(_pieces[(int)token]))
                Start();
            return;
        }
        bool wasDormant = _watch is { Awake: false };
        _grammar.Accept(token);
        if (!wasDormant)
            _utf8.Accept(_tokenBytes[(int)token]);
        else
        {
            _reasoning?.Accept(_pieces[(int)token]);
            if (_watch!.Accept((int)token, _pieces[(int)token]))
                _utf8 = _wokenUtf8 ?? new Utf8Guard();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _grammar?.Dispose();
}
