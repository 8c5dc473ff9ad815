namespace InferenceServer.ModelGeneration;

/// <summary>
/// Produces the ordered, duplicate-free stream of normal SentencePiece pieces for <see cref="SyntheticVocabulary"/>.
/// </summary>
/// <remarks>
/// "▁" (U+2581) marks a word start, as in SentencePiece. Order (most to least common): the bare "▁", printable
/// ASCII characters, "▁"+character, whole common words with their prefixes, frequent suffixes, then letter
/// bigrams and trigrams ranked by English letter frequency. The stream is finite (about 40 thousand pieces).
/// </remarks>
internal static class SyntheticPieces
{
    /// <summary>SentencePiece word-boundary marker (U+2581 LOWER ONE EIGHTH BLOCK).</summary>
    internal const string WordStart = "\u2581";

    private const string LettersByFrequency = "etaoinshrdlcumwfgypbvkjxqz";
    private const string Digits = "0123456789";
    private const string WordStartPunctuation = "(\"'[{<$-*#@";

    /// <summary>ChatML role names; they follow &lt;|im_start|&gt; directly, without a word-start marker.</summary>
    private static readonly string[] _roleWords = ["user", "assistant", "system"];

    private static readonly string[] _suffixes =
    [
        "ing", "ed", "er", "es", "ly", "tion", "ment", "ness", "able", "ous", "ive", "al", "est", "ist", "ity",
        "ful", "less", "ers", "ings", "ted", "ation", "ions", "ence", "ance", "ical", "ize", "ized", "ship",
    ];

    /// <summary>Enumerates unique pieces in descending priority.</summary>
    public static IEnumerable<string> Enumerate()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var piece in Candidates())
        {
            if (seen.Add(piece))
                yield return piece;
        }
    }

    private static IEnumerable<string> Candidates()
    {
        yield return WordStart;
        foreach (var c in SingleCharacters())
            yield return c;
        foreach (var c in LettersByFrequency + LettersByFrequency.ToUpperInvariant() + Digits + WordStartPunctuation)
            yield return WordStart + c;
        foreach (var role in _roleWords)
        {
            foreach (var prefix in Prefixes(role, 2))
                yield return prefix;
        }
        foreach (var piece in WordPieces())
            yield return piece;
        foreach (var suffix in _suffixes)
        {
            foreach (var prefix in Prefixes(suffix, 2))
                yield return prefix;
        }
        var bigrams = LetterGrams(2);
        foreach (var gram in bigrams)
            yield return gram;
        foreach (var gram in bigrams)
            yield return WordStart + gram;
        foreach (var gram in bigrams)
            yield return WordStart + char.ToUpperInvariant(gram[0]) + gram[1..];
        var trigrams = LetterGrams(3);
        foreach (var gram in trigrams)
            yield return gram;
        foreach (var gram in trigrams)
            yield return WordStart + gram;
    }

    /// <summary>Printable ASCII (0x21..0x7E): lower case by frequency, upper case, digits, punctuation.</summary>
    private static IEnumerable<string> SingleCharacters()
    {
        var ordered = LettersByFrequency + LettersByFrequency.ToUpperInvariant() + Digits;
        foreach (var c in ordered)
            yield return c.ToString();
        for (var c = (char)0x21; c <= (char)0x7E; c++)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                yield return c.ToString();
        }
    }

    /// <summary>
    /// For each listed word: every prefix of "▁word" (length ≥ 2); for the most common words also "▁Word",
    /// and the bare forms "Word" and "word" (text that starts a message or line has no leading space).
    /// </summary>
    private static IEnumerable<string> WordPieces()
    {
        var words = EnglishWordList.Words;
        for (var i = 0; i < words.Length; i++)
        {
            foreach (var prefix in Prefixes(WordStart + words[i], 2))
                yield return prefix;
            if (i >= EnglishWordList.CapitalisedCount)
                continue;
            var capitalised = char.ToUpperInvariant(words[i][0]) + words[i][1..];
            foreach (var prefix in Prefixes(WordStart + capitalised, 2))
                yield return prefix;
            foreach (var prefix in Prefixes(capitalised, 2))
                yield return prefix;
            foreach (var prefix in Prefixes(words[i], 2))
                yield return prefix;
        }
    }

    private static IEnumerable<string> Prefixes(string text, int minimumLength)
    {
        for (var length = minimumLength; length <= text.Length; length++)
            yield return text[..length];
    }

    /// <summary>All lower-case letter n-grams, ordered by the sum of their letters' frequency ranks.</summary>
    private static List<string> LetterGrams(int n)
    {
        var grams = new List<(string Text, int Cost)>();
        Expand(string.Empty, 0);
        return grams.OrderBy(g => g.Cost).ThenBy(g => g.Text, StringComparer.Ordinal).Select(g => g.Text).ToList();

        void Expand(string prefix, int cost)
        {
            if (prefix.Length == n)
            {
                grams.Add((prefix, cost));
                return;
            }
            for (var rank = 0; rank < LettersByFrequency.Length; rank++)
                Expand(prefix + LettersByFrequency[rank], cost + rank);
        }
    }
}
