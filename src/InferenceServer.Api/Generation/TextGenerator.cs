using System.Runtime.CompilerServices;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine;
using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Turns a validated request into engine work and engine results into text: renders the chat template, tokenizes,
/// checks the context limit, submits (all errors happen here, before any byte is sent), then detokenizes
/// incrementally and applies stop strings.
/// </summary>
public sealed class TextGenerator(EngineClient engine, LlamaModelHost model)
{
    /// <summary>Tokenizes and submits <paramref name="request"/>.</summary>
    /// <exception cref="ApiException">Context length exceeded (400), bad logit_bias (400), queue full (429), not ready (503).</exception>
    public GenerationStream Start(GenerationRequest request)
    {
        var tokenizer = model.Tokenizer;
        int[] prompt = request.Messages is { } messages
            ? tokenizer.Tokenize(model.Chat.Format(messages), parseSpecial: true)
            : tokenizer.Tokenize(request.Prompt!, parseSpecial: false);
        string promptParam = request.Messages is null ? "prompt" : "messages";
        if (prompt.Length == 0)
            throw ApiException.BadRequest("The prompt is empty after tokenization.", promptParam);
        foreach (int token in request.Sampling.LogitBias.Keys)
            if (token >= tokenizer.VocabSize)
                throw ApiException.BadRequest($"Invalid key in 'logit_bias': token id {token} is outside the vocabulary of {tokenizer.VocabSize}.", "logit_bias", "invalid_value");

        int maxModelLength = engine.Model?.MaxModelLength ?? throw ErrorMapping.NotReady();
        int maxTokens = request.MaxTokens ?? Math.Max(1, maxModelLength - prompt.Length);
        try
        {
            return engine.Submit(prompt, request.Sampling with { MaxTokens = maxTokens });
        }
        catch (EngineRejectedException ex)
        {
            throw ErrorMapping.FromRejection(ex, promptParam);
        }
    }

    /// <summary>Reads the text of a started generation. Cancelling aborts the sequence.</summary>
    /// <exception cref="GenerationFailedException">The engine failed the sequence.</exception>
    public async IAsyncEnumerable<GenerationEvent> ReadAsync(GenerationStream stream, IReadOnlyList<string> stop,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var detokenizer = model.Tokenizer.CreateDetokenizer();
        var matcher = new StopStringMatcher(stop);
        await foreach (var result in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (result.FinishReason == FinishReason.Error)
                throw new GenerationFailedException(result.Error ?? "The model failed.");
            string text = result.TokenId is { } token && !result.IsEndOfGeneration ? detokenizer.Add(token) : "";
            if (result.FinishReason is not null)
                text += detokenizer.Flush();
            string safe = matcher.Add(text);
            if (matcher.Stopped)
            {
                stream.Abort();
                yield return new GenerationEvent(safe, FinishReason.Stop, result.NumPromptTokens, result.NumOutputTokens, result.NumCachedTokens);
                yield break;
            }
            if (result.FinishReason is { } finish)
            {
                yield return new GenerationEvent(safe + matcher.Flush(), finish, result.NumPromptTokens, result.NumOutputTokens, result.NumCachedTokens);
                yield break;
            }
            if (safe.Length > 0)
                yield return new GenerationEvent(safe, null, result.NumPromptTokens, result.NumOutputTokens);
        }
    }
}
