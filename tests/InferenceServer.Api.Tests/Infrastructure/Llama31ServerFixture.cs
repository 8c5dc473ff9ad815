namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>A server on a generated model with the template and special tokens of Llama 3.1 (JSON tool calls, &lt;|python_tag|&gt;, &lt;|eot_id|&gt; and &lt;|eom_id|&gt;).</summary>
public sealed class Llama31ServerFixture() : TemplateModelServerFixture("meta-llama-Llama-3.1-8B-Instruct");
