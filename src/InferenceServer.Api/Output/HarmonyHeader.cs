using System.Text.RegularExpressions;

namespace InferenceServer.Api.Output;

/// <summary>
/// The parts of a harmony message header (the text before <c>&lt;|message|&gt;</c>, e.g.
/// <c>assistant&lt;|channel|&gt;commentary to=functions.f &lt;|constrain|&gt;json</c>).
/// </summary>
/// <param name="Role">The first word, before any markup or recipient; "" when the header starts with either.</param>
/// <param name="Recipient">The first <c>to=</c> target other than <c>assistant</c>, or null.</param>
/// <param name="Channel">The word after the last <c>&lt;|channel|&gt;</c>, or null.</param>
internal sealed partial record HarmonyHeader(string Role, string? Recipient, string? Channel)
{
    /// <summary>Reads <paramref name="header"/>.</summary>
    public static HarmonyHeader Parse(string header) => new(
        RolePattern().Match(header).Groups[1].Value,
        RecipientPattern().Matches(header).Select(m => m.Groups[1].Value).FirstOrDefault(r => r != "assistant"),
        ChannelPattern().Matches(header).LastOrDefault()?.Groups[1].Value);

    [GeneratedRegex(@"^\s*([^\s<=]*)(?:\s|<|$)")]
    private static partial Regex RolePattern();

    [GeneratedRegex(@"(?:^|\s)to=([^\s<]+)")]
    private static partial Regex RecipientPattern();

    [GeneratedRegex(@"<\|channel\|>([A-Za-z_]+)")]
    private static partial Regex ChannelPattern();
}
