namespace InferenceServer.LlamaSharp;

/// <summary>llama.cpp refused a GBNF grammar; the message is its parser's.</summary>
public sealed class GrammarException(string message) : Exception(message);
