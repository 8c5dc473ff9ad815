using System.Text;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// The rules of one GBNF grammar (llama.cpp's grammar format, see its <c>grammars/README.md</c>) as they are built:
/// unique names, identical bodies shared under one name, <c>root</c> written first.
/// </summary>
internal sealed class GbnfRules
{
    private readonly Dictionary<string, string?> _bodies = [];
    private readonly Dictionary<string, string> _nameByBody = [];
    private readonly List<string> _order = [];

    /// <summary>Adds a rule named after <paramref name="hint"/> (or reuses one with the same body); returns its name.</summary>
    public string Add(string hint, string body)
    {
        if (_nameByBody.TryGetValue(body, out var existing))
            return existing;
        string name = Reserve(hint);
        Define(name, body);
        return name;
    }

    /// <summary>Adds a fixed-name rule once (the shared primitives); returns its name.</summary>
    public string Primitive(string name, string body)
    {
        if (!_bodies.ContainsKey(name))
        {
            _bodies[name] = body;
            _order.Add(name);
        }
        return name;
    }

    /// <summary>True when a rule named <paramref name="name"/> exists.</summary>
    public bool Has(string name) => _bodies.ContainsKey(name);

    /// <summary>Claims a unique name whose body comes later (<see cref="Define"/>), so recursive rules can refer to it.</summary>
    public string Reserve(string hint)
    {
        string baseName = Sanitize(hint);
        string name = baseName;
        for (int i = 1; _bodies.ContainsKey(name); i++)
            name = $"{baseName}-{i}";
        _bodies[name] = null;
        _order.Add(name);
        return name;
    }

    /// <summary>Sets the body of a reserved rule.</summary>
    public void Define(string name, string body)
    {
        _bodies[name] = body;
        _nameByBody.TryAdd(body, name);
    }

    /// <summary>The grammar text: <c>root ::= <paramref name="rootExpression"/></c> first, then every rule in creation order.</summary>
    public string Render(string rootExpression)
    {
        var text = new StringBuilder();
        text.Append("root ::= ").Append(rootExpression).Append('\n');
        foreach (string name in _order)
            text.Append(name).Append(" ::= ").Append(_bodies[name] ?? throw new InvalidOperationException($"Rule {name} has no body."))
                .Append('\n');
        return text.ToString();
    }

    // GBNF names are letters, digits and dashes; "root" is kept for the start rule. Callers pass hints that start with
    // "root-", so they never take the names of the shared primitives (string, value, ...).
    private static string Sanitize(string hint)
    {
        var name = new StringBuilder();
        foreach (char c in hint)
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        string s = name.ToString().Trim('-');
        while (s.Contains("--"))
            s = s.Replace("--", "-");
        return s.Length == 0 || s == "root" ? "root-value" : s;
    }
}
