using System.Text.Json;
using InferenceServer.Api.Errors;

namespace InferenceServer.Api.Generation;

/// <summary>How this server treats a request field.</summary>
internal enum FieldSupport
{
    /// <summary>Read and honoured by <see cref="GenerationRequestParser"/>.</summary>
    Implemented,
    /// <summary>Accepted and ignored by design: it does not change the generated output (user ids, metadata, billing hints).</summary>
    Ignored,
    /// <summary>Refused with 400 <c>unsupported_parameter</c> unless null or one of <see cref="RequestField.AcceptedValues"/>.</summary>
    Unsupported,
}

/// <summary>One row of <see cref="RequestFields"/>: a top-level request field and how it is treated.</summary>
internal sealed class RequestField
{
    private readonly JsonElement[] _accepted;

    /// <param name="name">The JSON field name.</param>
    /// <param name="support">Implemented, ignored or unsupported.</param>
    /// <param name="validate">
    /// Checks the value against the rules the OpenAI spec states (type, range, dependencies) and throws a 400
    /// <see cref="ApiException"/>; run for ignored and unsupported fields before support is checked. Implemented fields
    /// are validated by the parser that reads them.
    /// </param>
    /// <param name="acceptedValues">
    /// For unsupported fields, JSON values that ask for nothing (the feature's "off" value, e.g. <c>false</c>), accepted
    /// like null.
    /// </param>
    public RequestField(string name, FieldSupport support, Action<JsonFieldReader, string>? validate = null, params string[] acceptedValues)
    {
        Name = name;
        Support = support;
        Validate = validate;
        AcceptedValues = acceptedValues;
        _accepted = acceptedValues.Select(json => JsonDocument.Parse(json).RootElement.Clone()).ToArray();
    }

    public string Name { get; }
    public FieldSupport Support { get; }
    public Action<JsonFieldReader, string>? Validate { get; }

    /// <summary>JSON texts of the values an unsupported field is accepted with besides null.</summary>
    public IReadOnlyList<string> AcceptedValues { get; }

    /// <summary>True when <paramref name="value"/> is one of <see cref="AcceptedValues"/>.</summary>
    public bool Accepts(JsonElement value) => _accepted.Any(a => JsonElement.DeepEquals(a, value));
}
