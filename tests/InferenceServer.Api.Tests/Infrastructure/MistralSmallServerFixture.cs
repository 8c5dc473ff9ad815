namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Mistral Small 3.2 ([TOOL_CALLS]name[CALL_ID]id[ARGS]{...}).</summary>
public sealed class MistralSmallServerFixture() : TemplateModelServerFixture("Mistral-Small-3.2-24B-Instruct-2506");
