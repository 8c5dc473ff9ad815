using System.Text;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// What wakes a lazy grammar (llama.cpp's <c>llama_sampler_init_grammar_lazy_patterns</c>): until a trigger occurs
/// the output is free, afterwards it must follow the grammar. llama.cpp keeps every piece generated while the grammar
/// sleeps; when a pattern is found in that text, the grammar is fed the text from the start of the pattern's first
/// non-empty capture group (or of the whole match when no group captured anything) to the end of the text, the rest
/// of the token that completed the match included. A pattern beginning with <c>^</c> and ending with <c>$</c> is
/// first tried against the whole text, then searched like any other. So the grammar must begin with the trigger text.
/// </summary>
/// <param name="Words">
/// Literal texts. Each becomes an escaped pattern; one that is a single token of the model's vocabulary also becomes
/// a trigger token (the grammar is then fed that token's whole text).
/// </param>
/// <param name="Patterns">
/// ECMAScript regular expressions, matched by libstdc++'s <c>std::regex</c> on the UTF-8 bytes. Keep them to the subset
/// .NET's <c>RegexOptions.ECMAScript</c> reads the same way (the sampler predicts the wake in .NET), and never repeat an
/// unbounded any-character class: libstdc++ matches recursively, and <c>[\s\S]*?</c> over some 10,000 characters
/// overflows the stack and kills the process.
/// </param>
public sealed record GrammarTriggers(IReadOnlyList<string> Words, IReadOnlyList<string> Patterns)
{
    /// <summary>
    /// True: no trigger wakes the grammar inside a <c>&lt;think&gt;…&lt;/think&gt;</c> block the reply opens at its start;
    /// a token that would wake it there is refused (the sampler draws another), so a tool call never starts inside
    /// the reasoning.
    /// </summary>
    public bool QuietInReasoning { get; init; }

    /// <summary>Triggers made of literal words only.</summary>
    public static GrammarTriggers OfWords(params string[] words) => new(words, []);

    /// <summary>All patterns llama.cpp is given: the escaped words first, then <see cref="Patterns"/>.</summary>
    public IReadOnlyList<string> AllPatterns() => [.. Words.Select(EscapePattern), .. Patterns];

    /// <summary>A stable text of the triggers, part of the compiled-grammar cache key.</summary>
    public string Key() => string.Join("\u0001", Words) + "\u0002" + string.Join("\u0001", Patterns) + (QuietInReasoning ? "\u0003" : "");

    /// <summary>Escapes the ECMAScript metacharacters of <paramref name="word"/> so it matches only itself.</summary>
    public static string EscapePattern(string word)
    {
        var s = new StringBuilder(word.Length + 8);
        foreach (char c in word)
        {
            if (".^$|()*+?[]{}\\".Contains(c))
                s.Append('\\');
            s.Append(c);
        }
        return s.ToString();
    }

    /// <inheritdoc />
    public bool Equals(GrammarTriggers? other) => other is not null && Key() == other.Key();

    /// <inheritdoc />
    public override int GetHashCode() => Key().GetHashCode(StringComparison.Ordinal);
}
