using System.Runtime.CompilerServices;
using InferenceServer.Api.Output;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Turns a validated request into engine work and engine results into text: renders the chat template, tokenizes,
/// checks the context limit, submits (all errors happen here, before any byte is sent), then detokenizes
/// incrementally, applies stop strings and pairs token logprobs with the text that carries them.
/// </summary>
public sealed class TextGenerator(EngineClient engine, Microsoft.Extensions.Options.IOptions<EngineOptions> options,
    Microsoft.Extensions.Options.IOptions<Options.ServerOptions> server)
{
    /// <summary>
    /// Tokenizes and submits <paramref name="request"/>; <paramref name="parsing"/> says how its output is split into
    /// reasoning, content and tool calls (decided from the model's template and the rendered prompt).
    /// </summary>
    /// <exception cref="ApiException">
    /// Context length exceeded (400), bad logit_bias, n or grammar (400), queue full (429), not ready (503).
    /// </exception>
    public GenerationStream Start(GenerationRequest request, out OutputParsing parsing)
    {
        parsing = OutputParsing.Text;
        int maxN = Math.Min(options.Value.MaxN, options.Value.MaxSequences);
        if (request.N > maxN)
            throw ApiException.BadRequest($"n = {request.N} is more than this server allows ({maxN}).", "n", "invalid_value");
        string promptParam = request.Messages is null ? "prompt" : "messages";
        int maxModelLength = engine.Model?.MaxModelLength ?? throw ErrorMapping.NotReady();
        var model = engine.Served ?? throw ErrorMapping.NotReady();
        var tokenizer = model.Tokenizer;
        int[] prompt = request switch
        {
            { Messages: { } messages } => TokenizeChat(model, request, messages, maxModelLength, out parsing),
            { PromptTokenIds: { } ids } => ids.All(id => id < tokenizer.VocabSize) ? [.. ids]
                : throw ApiException.BadRequest($"'prompt' holds a token id outside the vocabulary of {tokenizer.VocabSize}.", "prompt", "invalid_value"),
            _ => TokenizeText(tokenizer, request.Prompt!, parseSpecial: false, maxModelLength, "prompt"),
        };
        if (prompt.Length == 0)
            throw ApiException.BadRequest("The prompt is empty after tokenization.", promptParam);
        foreach (int token in request.Sampling.LogitBias.Keys)
            if (token >= tokenizer.VocabSize)
                throw ApiException.BadRequest($"Invalid key in 'logit_bias': token id {token} is outside the vocabulary of {tokenizer.VocabSize}.", "logit_bias", "invalid_value");

        var sampling = request.Messages is null ? request.Sampling : ChatConstraints.Apply(request, parsing);
        if (sampling.Grammar is { } grammar && model.Grammar.Check(grammar, sampling.GrammarTriggers, sampling.GrammarStartAfter) is { } grammarError)
            throw GrammarRefused(request, sampling != request.Sampling && request.Sampling.Grammar is null, grammar, grammarError);

        var limits = server.Value;
        if (limits.MaxPromptTokens > 0 && prompt.Length > limits.MaxPromptTokens)
            throw ApiException.BadRequest($"The prompt has {prompt.Length} tokens; this server accepts at most {limits.MaxPromptTokens}.",
                promptParam, "prompt_too_long");
        if (limits.MaxTokensCeiling > 0 && request.MaxTokens > limits.MaxTokensCeiling)
            throw ApiException.BadRequest($"{request.MaxTokensParam} is {request.MaxTokens}; this server allows at most {limits.MaxTokensCeiling}.",
                request.MaxTokensParam, "invalid_value");
        int maxTokens = request.MaxTokens ?? Math.Max(1, maxModelLength - prompt.Length);
        if (request.MaxTokens is null && limits.MaxTokensCeiling > 0)
            maxTokens = Math.Min(maxTokens, limits.MaxTokensCeiling);
        try
        {
            return engine.Submit(prompt, sampling with { MaxTokens = maxTokens }, request.N);
        }
        catch (EngineRejectedException ex)
        {
            throw ErrorMapping.FromRejection(ex, promptParam);
        }
    }

    private static int[] TokenizeChat(ServedModel model, GenerationRequest request, IReadOnlyList<ChatMessage> messages, int maxModelLength,
        out OutputParsing parsing)
    {
        // Every message costs at least one token, so more messages than the context cannot fit: refuse them before
        // spending time on the template.
        if (messages.Count > maxModelLength)
            throw TooLong(messages.Count, maxModelLength, "messages");
        var chat = model.ChatTemplate;
        var format = ChatOutputPlan.ToolCallFormat(request, chat);
        string prompt;
        try
        {
            var (rendered, tools) = ChatOutputPlan.Conversation(request, messages, format, chat.Capabilities.Tools);
            prompt = chat.Format(rendered, ChatOutputPlan.TemplateVariables(request, chat), tools);
        }
        catch (Templates.TemplateException e)
        {
            // raise_exception carries the template's own message (e.g. roles must alternate); other failures name the line.
            throw ApiException.BadRequest(e.IsRaisedByTemplate ? e.Reason : $"The model's chat template failed on these messages: {e.Message}",
                "messages", "chat_template_error");
        }
        parsing = ChatOutputPlan.Parsing(request, chat, format, prompt);
        return TokenizeText(model.Tokenizer, prompt, parseSpecial: true, maxModelLength, "messages");
    }

    private static int[] TokenizeText(ITokenizer tokenizer, string text, bool parseSpecial, int maxModelLength, string param)
    {
        // No token is longer than the vocabulary's longest piece, so longer text is over the limit for sure.
        long minTokens = System.Text.Encoding.UTF8.GetByteCount(text) / Math.Max(1, tokenizer.MaxTokenBytes);
        if (minTokens > maxModelLength)
            throw TooLong(minTokens, maxModelLength, param);
        return tokenizer.Tokenize(text, parseSpecial);
    }

    private static ApiException TooLong(long atLeast, int maxModelLength, string param) => ApiException.BadRequest(
        $"This model's maximum context length is {maxModelLength} tokens; the {param} alone need at least {atLeast}.",
        param, "context_length_exceeded");

    /// <summary>
    /// Reads the output of every choice of a started generation, split per <paramref name="parsing"/>. Cancelling
    /// aborts the request.
    /// </summary>
    /// <exception cref="GenerationFailedException">The engine failed the request.</exception>
    public async IAsyncEnumerable<GenerationEvent> ReadAsync(GenerationStream stream, IReadOnlyList<string> stop, OutputParsing parsing,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A started generation implies a loaded model.
        var tokenizer = engine.Served!.Tokenizer;
        var choices = Enumerable.Range(0, stream.NumChoices)
            .Select(i => new ChoiceOutput(i, tokenizer.CreateDetokenizer(parsing.Markers), stop, tokenizer, parsing)).ToArray();
        await foreach (var result in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var choice = choices[result.ChoiceIndex];
            if (choice.Ended)
                continue; // the engine's answer to a stop-string abort
            if (result.FinishReason == FinishReason.Error)
                throw new GenerationFailedException(result.Error ?? "The model failed.");
            var e = choice.Add(result);
            if (choice.Stopped)
                stream.Abort(result.ChoiceIndex);
            if (e is not null)
                yield return e;
            if (choices.All(c => c.Ended))
                yield break;
        }
    }

    private static ApiException GrammarRefused(GenerationRequest request, bool fromTools, string grammar, string why) =>
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
        var large = System.Text.RegularExpressions.Regex.Matches(grammar, @"\{(\d+)(?:,(\d*))?\}")
            .Select(m => m.Value)
            .Where(q => q.Trim('{', '}').Split(',').Any(n => n.Length > 0 && long.Parse(n, System.Globalization.CultureInfo.InvariantCulture) >= 1000))
            .Distinct()
            .ToList();
        return large.Count == 0 ? ""
            : $" (likely its repetition counts {string.Join(", ", large)}: llama.cpp refuses more than 2000 repetitions in total, " +
              "so lower minLength, maxLength, minItems, maxItems or the pattern's quantifiers)";
    }
}
