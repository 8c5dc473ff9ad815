using System.Globalization;
using System.Text.RegularExpressions;
using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Serving;

/// <summary>The 400 for a grammar llama.cpp refused, naming the request field it came from.</summary>
internal static class GrammarRefusal
{
    /// <summary>
    /// The error for <paramref name="grammar"/> refused with <paramref name="why"/>; <paramref name="fromTools"/> when the
    /// tools' schemas gave the grammar rather than the request's own <c>grammar</c> or <c>response_format</c>.
    /// </summary>
    public static ApiException Error(GenerationRequest request, bool fromTools, string grammar, string why) =>
        ApiException.BadRequest((fromTools
                ? $"The tools' parameter schemas gave a grammar llama.cpp refused: {why}"
                : request.GrammarParam == "grammar"
                    ? $"Invalid 'grammar': llama.cpp could not parse it: {why}"
                    : $"The schema in '{request.GrammarParam}' gave a grammar llama.cpp refused: {why}") + RepetitionHint(grammar),
            fromTools ? "tools" : request.GrammarParam, "invalid_value");

    // llama.cpp refuses repetition counts past 2000 (a single {n,m}, or nested ones multiplied); its reason goes only to
    // its log, so name the likely cause when the grammar has large counts (from minLength, maxLength, minItems,
    // maxItems or a pattern's {n,m}).
    private static string RepetitionHint(string grammar)
    {
        var large = Regex.Matches(grammar, @"\{(\d+)(?:,(\d*))?\}")
            .Select(m => m.Value)
            .Where(q => q.Trim('{', '}').Split(',').Any(n => n.Length > 0 && long.Parse(n, CultureInfo.InvariantCulture) >= 1000))
            .Distinct()
            .ToList();
        return large.Count == 0 ? ""
            : $" (likely its repetition counts {string.Join(", ", large)}: llama.cpp refuses more than 2000 repetitions in total, " +
              "so lower minLength, maxLength, minItems, maxItems or the pattern's quantifiers)";
    }
}
