using InferenceServer.Api.Errors;
using InferenceServer.Api.Output;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>
/// The grammar a chat reply follows: the tool-call grammar of its tools and <c>tool_choice</c> in the model's format
/// (<see cref="ToolCallGrammar"/>: from the first token for <c>required</c>, a named tool and the generic format; woken
/// by the format's opening marker for <c>auto</c>), or else its <c>response_format</c>; a request's own GBNF
/// <c>grammar</c> replaces the tool-call grammar (the reply is still parsed for calls) and covers the whole reply. When the
/// rendered prompt leaves the reply inside <c>&lt;think&gt;</c>, the grammar applies only after <c>&lt;/think&gt;</c>
/// (<see cref="ReasoningGate"/>), so the reasoning stays free. A reply that may open its own <c>&lt;think&gt;</c> (the
/// prompt neither opens nor closes it) may start with one reasoning block before an eager grammar, and a lazy one
/// (<c>auto</c>) does not wake inside that block.
/// A harmony reply (gpt-oss) puts a <c>response_format</c> answer in its final message (<see cref="HarmonyAnswer"/>).
/// </summary>
internal static class ChatConstraints
{
    /// <summary><paramref name="request"/>'s sampling settings with the grammar its reply must follow.</summary>
    /// <exception cref="ApiException">400: tools together with response_format or grammar; a tool's parameters cannot be enforced.</exception>
    public static SamplingParams Apply(ChatCompletionRequest request, OutputParsing parsing)
    {
        // A caller's own GBNF replaces the tool-call grammar (the reply is still parsed for calls); a response_format
        // would contradict it.
        var constraint = request.GrammarParam == "grammar" ? null : ToolConstraint(request, parsing);
        if (constraint is not null && request.Sampling.Grammar is not null)
            throw ApiException.BadRequest(
                $"'{request.GrammarParam}' cannot be combined with 'tools' unless 'tool_choice' is \"none\": the tool-call grammar shapes the reply.",
                request.GrammarParam, "invalid_value");
        bool fromTools = constraint is not null;
        constraint ??= request.Sampling.Grammar is { } gbnf
            ? new GrammarConstraint(gbnf, request.Sampling.GrammarTriggers, request.Sampling.GrammarStartAfter)
            : null;
        if (constraint is null)
            return request.Sampling;
        // A harmony reply carries a response_format answer in its final message, after an optional analysis.
        if (parsing.Channels && !fromTools && request.GrammarParam != "grammar")
            constraint = HarmonyAnswer.InFinalMessage(constraint);
        // A request's own GBNF describes the whole reply, reasoning included, as llama.cpp's server applies it.
        if (parsing.StartsInReasoning && request.GrammarParam != "grammar")
            constraint = ReasoningGate.AfterReasoning(constraint, ReasoningGate.ThinkEnd);
        else if (parsing.ThinkTags && !parsing.ReasoningClosed && request.GrammarParam != "grammar")
            constraint = constraint.Triggers is null ? ReasoningGate.OptionalReasoningFirst(constraint) : ReasoningGate.QuietInReasoning(constraint);
        return constraint.ApplyTo(request.Sampling);
    }

    private static GrammarConstraint? ToolConstraint(ChatCompletionRequest request, OutputParsing parsing)
    {
        if (parsing.ToolCalls == ToolCallFormat.None)
            return null;
        try
        {
            return ToolCallGrammar.Build(parsing.ToolCalls, request.Tools, request.ToolChoice, request.ParallelToolCalls);
        }
        catch (UnsupportedSchemaException ex)
        {
            throw ApiException.BadRequest($"Unsupported schema in '{ParamOf(ex.Path)}': {ex.Message}", ParamOf(ex.Path), "unsupported_parameter");
        }
    }

    // The builder names paths from tools[i].function.parameters on.
    private static string ParamOf(string path) => path.Length == 0 ? "tools" : path;
}
