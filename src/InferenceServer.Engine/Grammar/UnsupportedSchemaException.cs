namespace InferenceServer.Engine.Grammar;

/// <summary>A JSON Schema the grammar converter cannot enforce exactly.</summary>
/// <param name="path">JSON path of the offending keyword inside the schema, e.g. <c>properties.tags.uniqueItems</c>
/// (empty for the schema itself).</param>
/// <param name="message">What is wrong, for the caller.</param>
public sealed class UnsupportedSchemaException(string path, string message) : Exception(message)
{
    /// <summary>JSON path of the offending keyword inside the schema.</summary>
    public string Path { get; } = path;
}
