namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of DeepSeek-R1-Distill-Qwen (&lt;think&gt; reasoning, DeepSeek tool-call markers as plain text).</summary>
public sealed class DeepSeekR1ServerFixture() : TemplateModelServerFixture("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B");
