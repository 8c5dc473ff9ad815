namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of DeepSeek V3.1 (tool-call words as single tokens, thinking off by default).</summary>
public sealed class DeepSeekV31ServerFixture() : TemplateModelServerFixture("deepseek-ai-DeepSeek-V3.1");
