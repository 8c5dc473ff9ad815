namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Mistral Nemo ([TOOL_CALLS] with a JSON list).</summary>
public sealed class MistralNemoServerFixture() : TemplateModelServerFixture("mistralai-Mistral-Nemo-Instruct-2407");
