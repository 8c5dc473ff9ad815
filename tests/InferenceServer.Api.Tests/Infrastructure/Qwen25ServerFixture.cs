namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Qwen2.5 (Hermes-style &lt;tool_call&gt; tags as non-special tokens).</summary>
public sealed class Qwen25ServerFixture() : TemplateModelServerFixture("Qwen-Qwen2.5-7B-Instruct");
