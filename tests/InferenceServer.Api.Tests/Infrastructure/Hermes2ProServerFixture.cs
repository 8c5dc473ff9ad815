namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Hermes 2 Pro on Llama 3 (ChatML, &lt;tool_call&gt; tags).</summary>
public sealed class Hermes2ProServerFixture() : TemplateModelServerFixture("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use");
