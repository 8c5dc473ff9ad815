using System.Text;

namespace InferenceServer.ModelGeneration;

/// <summary>
/// The special tokens of a synthetic vocabulary and which of them llama.cpp treats as BOS and end of generation.
/// The tokens take ids 1.. in list order (id 0 is <c>&lt;unk&gt;</c>), before the 256 byte tokens.
/// </summary>
/// <remarks>
/// llama.cpp (llama-vocab.cpp of the bundled build) reads <c>tokenizer.ggml.bos_token_id</c>,
/// <c>eos_token_id</c>, <c>eot_token_id</c> and <c>eom_token_id</c>; its end-of-generation set
/// (<c>llama_vocab_is_eog</c>) is EOS, EOT and EOM plus tokens it recognises by text (<c>&lt;|im_end|&gt;</c>,
/// <c>&lt;|eot_id|&gt;</c>, <c>&lt;|eom_id|&gt;</c>, <c>&lt;|endoftext|&gt;</c>, ...). Special-token parsing
/// (<c>parse_special</c>) splits text on every control and user-defined token, longest first.
/// </remarks>
/// <param name="Tokens">The special tokens in id order; texts must be distinct and non-empty.</param>
/// <param name="Bos">Text of the BOS token (<c>tokenizer.ggml.bos_token_id</c>); one of <paramref name="Tokens"/>.</param>
/// <param name="Eos">Text of the EOS token (<c>tokenizer.ggml.eos_token_id</c>); one of <paramref name="Tokens"/>.</param>
/// <param name="EndOfTurn">Text of the end-of-turn token (<c>tokenizer.ggml.eot_token_id</c>), or null to leave the key out.</param>
/// <param name="EndOfMessage">Text of the end-of-message token (<c>tokenizer.ggml.eom_token_id</c>, Llama 3.1's
/// <c>&lt;|eom_id|&gt;</c> after a built-in tool call), or null to leave the key out.</param>
/// <param name="AddBos">Whether the tokenizer puts BOS in front of every text (<c>tokenizer.ggml.add_bos_token</c>).</param>
public sealed record SyntheticSpecialTokens(
    IReadOnlyList<SyntheticSpecialToken> Tokens,
    string Bos,
    string Eos,
    string? EndOfTurn,
    string? EndOfMessage,
    bool AddBos)
{
    /// <summary>
    /// The generator's original layout: <c>&lt;s&gt;</c> (BOS, added), <c>&lt;/s&gt;</c> (EOS),
    /// <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c> (EOT), all control tokens, for the ChatML template.
    /// </summary>
    public static SyntheticSpecialTokens ChatMl { get; } = new(
        [
            SyntheticSpecialToken.Control("<s>"), SyntheticSpecialToken.Control("</s>"),
            SyntheticSpecialToken.Control("<|im_start|>"), SyntheticSpecialToken.Control("<|im_end|>"),
        ],
        "<s>", "</s>", "<|im_end|>", null, AddBos: true);

    /// <summary>Texts of the tokens llama.cpp is told end generation: EOS, EOT and EOM, without repeats.</summary>
    public IReadOnlyList<string> EndOfGeneration =>
        new[] { Eos, EndOfTurn, EndOfMessage }.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Id of <paramref name="text"/> in a vocabulary built with these tokens, or null when it is not one of them.</summary>
    public int? IdOf(string text)
    {
        for (int i = 0; i < Tokens.Count; i++)
            if (string.Equals(Tokens[i].Text, text, StringComparison.Ordinal)) return i + 1;
        return null;
    }

    /// <summary>Checks that the texts are distinct and that BOS, EOS, EOT and EOM name listed tokens.</summary>
    /// <exception cref="ArgumentException">A text is empty, repeated, reserved or not listed.</exception>
    public void Validate()
    {
        if (Tokens.Count == 0)
            throw new ArgumentException("At least one special token is required.", nameof(Tokens));
        var seen = new HashSet<string>(StringComparer.Ordinal) { "<unk>" };
        foreach (var token in Tokens)
        {
            if (string.IsNullOrEmpty(token.Text) || !Enum.IsDefined(token.Kind))
                throw new ArgumentException("Special tokens need a text and a known kind.", nameof(Tokens));
            if (!seen.Add(token.Text) || IsByteTokenText(token.Text))
                throw new ArgumentException($"Special token '{token.Text}' is repeated or reserved.", nameof(Tokens));
        }
        foreach (var (name, text) in new[] { ("Bos", Bos), ("Eos", Eos), ("EndOfTurn", EndOfTurn), ("EndOfMessage", EndOfMessage) })
        {
            if (text is not null && IdOf(text) is null)
                throw new ArgumentException($"{name} '{text}' is not one of the special tokens.", name);
        }
    }

    /// <summary>A stable text form for cache file names.</summary>
    internal string Canonical()
    {
        var text = new StringBuilder();
        foreach (var token in Tokens)
            text.Append(token.Kind == SyntheticTokenKind.Control ? 'c' : 'u').Append(token.Text.Length).Append(':').Append(token.Text);
        return text.Append('|').Append(Bos).Append('|').Append(Eos).Append('|').Append(EndOfTurn).Append('|')
            .Append(EndOfMessage).Append('|').Append(AddBos).ToString();
    }

    /// <summary>Whether this set is the same as <see cref="ChatMl"/> (the layout of files written before special tokens were configurable).</summary>
    internal bool IsChatMl() => string.Equals(Canonical(), ChatMl.Canonical(), StringComparison.Ordinal);

    private static bool IsByteTokenText(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>';
}
