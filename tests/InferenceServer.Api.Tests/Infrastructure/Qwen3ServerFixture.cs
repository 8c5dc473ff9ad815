namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Qwen3 (Hermes-style tool calls, &lt;think&gt; reasoning).</summary>
public sealed class Qwen3ServerFixture() : TemplateModelServerFixture("Qwen-Qwen3-0.6B");
