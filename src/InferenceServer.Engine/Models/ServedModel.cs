namespace InferenceServer.Engine.Models;

/// <summary>What serving uses of the loaded model besides its runner; thread-safe, fixed once loaded.</summary>
/// <param name="Tokenizer">The model's tokenizer.</param>
/// <param name="ChatTemplate">The model's chat template.</param>
/// <param name="Grammar">The grammar check of the model's sampler.</param>
/// <param name="CreatedUnixSeconds">Seconds since the Unix epoch when the model finished loading (OpenAI <c>created</c>).</param>
public sealed record ServedModel(ITokenizer Tokenizer, IChatTemplate ChatTemplate, IGrammarChecker Grammar, long CreatedUnixSeconds);
