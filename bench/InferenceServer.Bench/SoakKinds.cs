namespace InferenceServer.Bench;

/// <summary>The labels of <see cref="SoakRequest.Kinds"/>, in the order the report lists them.</summary>
internal static class SoakKinds
{
    public const string Completions = "/v1/completions, token-id prompt";
    public const string Chat = "/v1/chat/completions, text messages";
    public const string Streaming = "streaming";
    public const string NonStreaming = "non-streaming";
    public const string ShortPrompt = "prompt < 32 tokens";
    public const string LongPrompt = "prompt > 256 tokens";
    public const string SharedPrefix = "shared prefix";
    public const string MultiTurn = "multi-turn chat";
    public const string LongOutput = "max_tokens > 128";
    public const string IgnoreEos = "ignore_eos";
    public const string ParallelSamples = "n > 1";
    public const string Stop = "stop strings";
    public const string Deterministic = "deterministic (compared with solo)";
    public const string CancelBeforeFirstToken = "disconnect before first token";
    public const string CancelMidStream = "disconnect mid-stream";

    public static readonly string[] Order =
    [
        Completions, Chat, Streaming, NonStreaming, ShortPrompt, LongPrompt, SharedPrefix, MultiTurn, LongOutput, IgnoreEos,
        ParallelSamples, Stop, Deterministic, CancelBeforeFirstToken, CancelMidStream,
    ];
}
