using InferenceServer.Engine.Grammar;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Compiled grammars, kept by model and GBNF text, so a sequence's grammar state is a clone (a copy of the parsed rules
/// and start stacks) rather than a new parse. The request thread compiles while it validates the request, so the
/// engine thread only clones: a large grammar (a 20,000-value enum takes seconds to parse) no longer stalls every
/// other stream, and the n choices of a request share one parse. Thread-safe; beyond <see cref="Capacity"/> grammars
/// the least recently used is released. A lazy grammar is a separate entry: the key holds its triggers.
/// </summary>
internal static class GrammarPrototypes
{
    /// <summary>Compiled grammars kept.</summary>
    public const int Capacity = 32;

    private sealed class Entry(SafeLLamaSamplerChainHandle chain)
    {
        public SafeLLamaSamplerChainHandle Chain { get; } = chain;
        public long LastUse { get; set; }
    }

    private static readonly Dictionary<(SafeLlamaModelHandle Model, string Gbnf, string? Triggers), Entry> Cache = [];
    private static readonly Lock Gate = new();
    private static long _clock;
    private static long _numCompiled;

    /// <summary>Parses done since start (clones are not counted).</summary>
    public static long NumCompiled => Interlocked.Read(ref _numCompiled);

    /// <summary>
    /// A new chain holding a fresh grammar state for <paramref name="gbnf"/> (lazy when <paramref name="triggers"/> is
    /// set): a clone of the cached compile, compiling it first (outside the lock, so other threads' clones never wait
    /// for a parse) when it is not cached.
    /// </summary>
    /// <exception cref="GrammarException">llama.cpp could not parse it; the message is llama.cpp's.</exception>
    public static SafeLLamaSamplerChainHandle NewState(SafeLlamaModelHandle model, string gbnf, GrammarTriggers? triggers = null)
    {
        var key = (model, gbnf, triggers?.Key());
        lock (Gate)
        {
            if (Cache.TryGetValue(key, out var cached))
                return CloneOf(cached);
        }
        var compiled = Compile(model, gbnf, triggers);
        lock (Gate)
        {
            if (Cache.TryGetValue(key, out var raced))
            {
                compiled.Dispose();
                return CloneOf(raced);
            }
            var entry = new Entry(compiled) { LastUse = ++_clock };
            Cache.Add(key, entry);
            if (Cache.Count > Capacity)
            {
                var oldest = Cache.MinBy(e => e.Value.LastUse);
                Cache.Remove(oldest.Key);
                oldest.Value.Chain.Dispose();
            }
            return CloneOf(entry);
        }
    }

    private static SafeLLamaSamplerChainHandle Compile(SafeLlamaModelHandle model, string gbnf, GrammarTriggers? triggers)
    {
        var (sampler, error) = triggers is null ? LlamaGrammarNative.Create(model, gbnf)
            : LlamaGrammarNative.CreateLazy(model, gbnf, triggers.AllPatterns(), TriggerTokens(model, triggers));
        if (sampler == 0)
            throw new GrammarException(error!);
        Interlocked.Increment(ref _numCompiled);
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        LlamaGrammarNative.AddTo(chain, sampler);
        return chain;
    }

    /// <summary>The trigger words that are one token of <paramref name="model"/>'s vocabulary (special tokens included), as token ids.</summary>
    public static IReadOnlyList<int> TriggerTokens(SafeLlamaModelHandle model, GrammarTriggers triggers)
    {
        var pieces = TokenBytes.WithSpecial(model);
        return [.. triggers.Words.Select(w => (Word: System.Text.Encoding.UTF8.GetBytes(w), Tokens: model.Tokenize(w, false, true, System.Text.Encoding.UTF8)))
            .Where(w => w.Tokens.Length == 1 && pieces[(int)w.Tokens[0]].AsSpan().SequenceEqual(w.Word))
            .Select(w => (int)w.Tokens[0]).Distinct()];
    }

    // Called under the lock: the entry cannot be released while it is copied.
    private static SafeLLamaSamplerChainHandle CloneOf(Entry entry)
    {
        entry.LastUse = ++_clock;
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        chain.AddClone(entry.Chain, 0);
        return chain;
    }
}
