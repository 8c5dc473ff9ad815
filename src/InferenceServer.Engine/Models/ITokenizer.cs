namespace InferenceServer.Engine.Models;

/// <summary>The model's tokenizer as serving uses it; thread-safe.</summary>
public interface ITokenizer
{
    /// <summary>Vocabulary size in tokens.</summary>
    int VocabSize { get; }

    /// <summary>Length in bytes of the longest token piece (a text of B bytes has at least B / MaxTokenBytes tokens).</summary>
    int MaxTokenBytes { get; }

    /// <summary>Tokenizes UTF-8 text, adding BOS when the model wants it.</summary>
    /// <param name="text">UTF-8 text.</param>
    /// <param name="parseSpecial">Turn special-token text (e.g. <c>&lt;|im_start|&gt;</c>) into its token; on for chat templates.</param>
    int[] Tokenize(string text, bool parseSpecial);

    /// <summary>UTF-8 bytes of a token's text; empty for control tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    byte[] TokenBytes(int tokenId);

    /// <summary>
    /// A new streaming detokenizer that also shows the text of the control tokens spelling <paramref name="markers"/>
    /// (e.g. <c>[TOOL_CALLS]</c>), which otherwise render as nothing, so that an output parser sees them.
    /// </summary>
    IncrementalDetokenizer CreateDetokenizer(IReadOnlyList<string> markers);
}
