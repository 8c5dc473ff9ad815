namespace InferenceServer.Templates.Runtime;

/// <summary>A filter's arguments after the value: positional, then by keyword, then the default.</summary>
internal readonly struct FilterArgs(List<object?> positional, Dictionary<string, object?>? named)
{
    public List<object?> Positional => positional;

    public Dictionary<string, object?>? Named => named;

    public object? Get(int index, string name) =>
        index < positional.Count ? positional[index]
        : named is not null && named.TryGetValue(name, out var v) ? v
        : throw new TemplateException($"missing required argument '{name}'");

    public object? Get(int index, string name, object? fallback) =>
        index < positional.Count ? positional[index]
        : named is not null && named.TryGetValue(name, out var v) ? v
        : fallback;
}
