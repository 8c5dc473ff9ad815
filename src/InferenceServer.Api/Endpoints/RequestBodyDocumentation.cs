using InferenceServer.Api.Generation;
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
        (string Schema, IReadOnlyList<RequestField> Fields)? body = name switch
        {
            "CreateChatCompletion" => ("CreateChatCompletionRequest", RequestFields.Chat),
            "CreateCompletion" => ("CreateCompletionRequest", RequestFields.Completion),
            _ => null,
        };
        if (body is not var (schema, fields))
            return;
        string description = $"OpenAI {schema}, sent as application/json. Implemented: {List(fields, FieldSupport.Implemented)}. " +
            $"Accepted and ignored: {List(fields, FieldSupport.Ignored)}. Refused with 400 unsupported_parameter unless null or " +
            $"their off value: {List(fields, FieldSupport.Unsupported)}. Other fields are ignored.";
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

    private static string List(IReadOnlyList<RequestField> fields, FieldSupport support) =>
        string.Join(", ", RequestFields.Names(fields, support));
}
