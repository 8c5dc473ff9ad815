namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of gpt-oss (harmony channels, tool calls and reasoning).</summary>
public sealed class GptOssServerFixture() : TemplateModelServerFixture("openai-gpt-oss-120b");
