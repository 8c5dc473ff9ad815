using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace InferenceServer.Api.Endpoints;

/// <summary>
/// Documents the JSON request body of the generation endpoints in Swagger. The handlers parse the body themselves
/// (to name the offending field in OpenAI-style errors), so the body does not come from a typed parameter.
/// </summary>
internal sealed class RequestBodyDocumentation : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        string? name = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        string? description = name switch
        {
            "CreateChatCompletion" => "OpenAI CreateChatCompletionRequest: model, messages, stream, stream_options, max_tokens / " +
                "max_completion_tokens, temperature, top_p, top_k, min_p, seed, n, stop, presence_penalty, frequency_penalty, logit_bias, ignore_eos.",
            "CreateCompletion" => "OpenAI CreateCompletionRequest: model, prompt (string or token ids), stream, stream_options, max_tokens, " +
                "temperature, top_p, top_k, min_p, seed, n, stop, presence_penalty, frequency_penalty, logit_bias, ignore_eos.",
            _ => null,
        };
        if (description is null)
            return;
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
            },
        };
    }
}
