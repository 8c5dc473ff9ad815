namespace InferenceServer.Templates.Runtime;

/// <summary>A variable frame; lookups fall through to the parent (the template, then the globals).</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope? Parent => parent;

    public object? Lookup(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out var value)) return value;
        return Undefined.Named(name);
    }

    public void Set(string name, object? value) => _vars[name] = value;
}
