namespace InferenceServer.Templates.Runtime;

/// <summary>jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is equalto y</c>…).</summary>
internal static class Tests
{
    private static readonly Dictionary<string, Func<object?, List<object?>, bool>> Table = new()
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["string"] = (v, _) => v is string or Markup,
        ["mapping"] = (v, _) => v is PyDict,
        ["iterable"] = (v, _) => v is string or Markup or PyIterator or List<object?> or PyDict or Undefined,
        ["sequence"] = (v, _) => v is string or Markup or List<object?> or PyDict or Undefined,
        ["number"] = (v, _) => v is long or double or bool,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["callable"] = (v, _) => v is Callable,
        ["equalto"] = (v, a) => Py.Equal(v, Arg(a)),
        ["eq"] = (v, a) => Py.Equal(v, Arg(a)),
        ["=="] = (v, a) => Py.Equal(v, Arg(a)),
        ["ne"] = (v, a) => !Py.Equal(v, Arg(a)),
        ["!="] = (v, a) => !Py.Equal(v, Arg(a)),
        ["lt"] = (v, a) => Py.Compare(v, Arg(a), "<") < 0,
        ["lessthan"] = (v, a) => Py.Compare(v, Arg(a), "<") < 0,
        ["<"] = (v, a) => Py.Compare(v, Arg(a), "<") < 0,
        ["le"] = (v, a) => Py.Compare(v, Arg(a), "<=") <= 0,
        ["<="] = (v, a) => Py.Compare(v, Arg(a), "<=") <= 0,
        ["gt"] = (v, a) => Py.Compare(v, Arg(a), ">") > 0,
        ["greaterthan"] = (v, a) => Py.Compare(v, Arg(a), ">") > 0,
        [">"] = (v, a) => Py.Compare(v, Arg(a), ">") > 0,
        ["ge"] = (v, a) => Py.Compare(v, Arg(a), ">=") >= 0,
        [">="] = (v, a) => Py.Compare(v, Arg(a), ">=") >= 0,
        ["in"] = (v, a) => Py.Contains(Arg(a), v),
        ["sameas"] = (v, a) => ReferenceEquals(v, Arg(a)) || (v is null or bool && Py.Equal(v, Arg(a)) && v?.GetType() == Arg(a)?.GetType()),
        ["divisibleby"] = (v, a) => Py.ToLong(v) % Py.ToLong(Arg(a)) == 0,
        ["even"] = (v, _) => Py.ToLong(v) % 2 == 0,
        ["odd"] = (v, _) => Py.ToLong(v) % 2 != 0,
        ["lower"] = (v, _) => Py.Str(v) is var s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => Py.Str(v) is var s && s == s.ToUpperInvariant(),
        ["escaped"] = (_, _) => false,
        ["filter"] = (v, _) => v is string s && Filters.Exists(s),
        ["test"] = (v, _) => v is string s && Exists(s),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static bool Apply(string name, object? value, List<object?> args) =>
        Table.TryGetValue(name, out var test) ? test(value, args) : throw new TemplateException($"No test named '{name}'.");

    private static object? Arg(List<object?> args) =>
        args.Count > 0 ? args[0] : throw new TemplateException("test is missing its argument");
}
