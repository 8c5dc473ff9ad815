namespace InferenceServer.Api.Generation;

/// <summary>A token as logprobs show it: its text, natural-log probability and UTF-8 bytes.</summary>
/// <param name="Token">
/// The token's text when its bytes are valid UTF-8 on their own; otherwise <c>bytes:</c> followed by each byte as
/// <c>\xNN</c> (lower-case hex), as OpenAI writes a partial character, e.g. <c>bytes:\xe2\x80</c>.
/// </param>
/// <param name="Logprob">Raw log probability (see <see cref="Engine.Execution.TokenLogprobs"/>); -9999 for "very unlikely".</param>
/// <param name="Bytes">The token's own bytes; consecutive tokens' bytes concatenate to the UTF-8 of the text.</param>
public sealed record LogprobEntry(string Token, float Logprob, byte[] Bytes);
