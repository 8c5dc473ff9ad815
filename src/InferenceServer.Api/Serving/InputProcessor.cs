using InferenceServer.Api.Errors;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Options;
using InferenceServer.Api.Output;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;
using Microsoft.Extensions.Options;

namespace InferenceServer.Api.Serving;

/// <summary>
/// Turns a parsed request into engine input: renders the chat template, tokenizes, and runs every check that needs
/// the model or the server's limits (n, context length, vocabulary, grammar, prompt and max_tokens ceilings), each
/// once, so all errors happen before anything is submitted or sent. Like vLLM's <c>InputProcessor</c>.
/// </summary>
internal sealed class InputProcessor(IOptions<EngineOptions> options, IOptions<ServerOptions> server)
{
    /// <summary>
    /// The engine input for <paramref name="request"/> on <paramref name="model"/> with a context of
    /// <paramref name="maxModelLength"/> tokens.
    /// </summary>
    /// <exception cref="ApiException">400: n, context length, prompt, logit_bias, grammar or a server limit.</exception>
    public ProcessedRequest Process(GenerationRequest request, ServedModel model, int maxModelLength)
    {
        int maxN = Math.Min(options.Value.MaxN, options.Value.MaxSequences);
        if (request.N > maxN)
            throw ApiException.BadRequest($"n = {request.N} is more than this server allows ({maxN}).", "n", "invalid_value");
        var tokenizer = model.Tokenizer;
        var parsing = OutputParsing.Text;
        int[] prompt = request switch
        {
            ChatCompletionRequest chat => TokenizeChat(model, chat, maxModelLength, out parsing),
            CompletionRequest { PromptTokenIds: { } ids } => ids.All(id => id < tokenizer.VocabSize) ? [.. ids]
                : throw ApiException.BadRequest($"'prompt' holds a token id outside the vocabulary of {tokenizer.VocabSize}.", "prompt", "invalid_value"),
            CompletionRequest completion => TokenizeText(tokenizer, completion.Prompt!, parseSpecial: false, maxModelLength, "prompt"),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.GetType().Name, "Not a chat or completion request."),
        };
        if (prompt.Length == 0)
            throw ApiException.BadRequest("The prompt is empty after tokenization.", request.PromptParam);
        foreach (int token in request.Sampling.LogitBias.Keys)
            if (token >= tokenizer.VocabSize)
                throw ApiException.BadRequest($"Invalid key in 'logit_bias': token id {token} is outside the vocabulary of {tokenizer.VocabSize}.", "logit_bias", "invalid_value");
        var sampling = Constrain(request, parsing, model.Grammar);
        return new ProcessedRequest(request, prompt, sampling with { MaxTokens = MaxTokens(request, prompt.Length, maxModelLength) }, parsing);
    }

    // The grammar the reply follows (a chat request's tools and reasoning shape it), checked by llama.cpp's parser.
    private static SamplingParams Constrain(GenerationRequest request, OutputParsing parsing, IGrammarChecker checker)
    {
        var sampling = request is ChatCompletionRequest chat ? ChatConstraints.Apply(chat, parsing) : request.Sampling;
        if (sampling.Grammar is { } grammar && checker.Check(grammar, sampling.GrammarTriggers, sampling.GrammarStartAfter) is { } why)
            throw GrammarRefusal.Error(request, sampling != request.Sampling && request.Sampling.Grammar is null, grammar, why);
        return sampling;
    }

    // The server's prompt and max_tokens ceilings; without max_tokens the reply may fill the context (up to the ceiling).
    private int MaxTokens(GenerationRequest request, int numPromptTokens, int maxModelLength)
    {
        var limits = server.Value;
        if (limits.MaxPromptTokens > 0 && numPromptTokens > limits.MaxPromptTokens)
            throw ApiException.BadRequest($"The prompt has {numPromptTokens} tokens; this server accepts at most {limits.MaxPromptTokens}.",
                request.PromptParam, "prompt_too_long");
        if (limits.MaxTokensCeiling > 0 && request.MaxTokens > limits.MaxTokensCeiling)
            throw ApiException.BadRequest($"{request.MaxTokensParam} is {request.MaxTokens}; this server allows at most {limits.MaxTokensCeiling}.",
                request.MaxTokensParam, "invalid_value");
        int maxTokens = request.MaxTokens ?? Math.Max(1, maxModelLength - numPromptTokens);
        if (request.MaxTokens is null && limits.MaxTokensCeiling > 0)
            maxTokens = Math.Min(maxTokens, limits.MaxTokensCeiling);
        return maxTokens;
    }

    private static int[] TokenizeChat(ServedModel model, ChatCompletionRequest request, int maxModelLength, out OutputParsing parsing)
    {
        var messages = request.Messages;
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
            // A template stops building strings past its render budget; when the messages' text alone is over the
            // context, that is the reason to give.
            long minTokens = messages.Sum(m => (long)System.Text.Encoding.UTF8.GetByteCount(m.Content)) / Math.Max(1, model.Tokenizer.MaxTokenBytes);
            if (minTokens > maxModelLength)
                throw TooLong(minTokens, maxModelLength, "messages");
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
        $"This model's maximum context length is {maxModelLength} tokens. However, your {param} resulted in at least {atLeast} tokens. " +
        $"Please reduce the length of the {param}.",
        param, "context_length_exceeded");
}
