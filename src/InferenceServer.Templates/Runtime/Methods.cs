using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>
/// Python methods of str, list and dict that templates call. Mutating methods (append, pop, update…) fail as in
/// jinja2's ImmutableSandboxedEnvironment, which Hugging Face renders with.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> StringMethodNames =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "replace", "upper", "lower",
        "title", "capitalize", "format", "find", "rfind", "count", "index", "join", "splitlines", "isdigit",
        "isalpha", "isspace", "isalnum", "isupper", "islower", "removeprefix", "removesuffix", "zfill", "casefold",
        "swapcase", "center", "ljust", "rjust", "partition", "rpartition", "isnumeric", "isdecimal", "istitle",
    ];

    private static readonly HashSet<string> ListMethods = ["index", "count", "copy"];

    private static readonly HashSet<string> ListMutators = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy"];

    private static readonly HashSet<string> DictMutators = ["pop", "popitem", "update", "clear", "setdefault"];

    public static bool IsMethod(object receiver, string name) => receiver switch
    {
        string => StringMethodNames.Contains(name),
        List<object?> => ListMethods.Contains(name) || ListMutators.Contains(name),
        PyDict => DictMethods.Contains(name) || DictMutators.Contains(name),
        _ => false,
    };

    public static object? Call(object receiver, string name, List<object?> args, Dictionary<string, object?>? kwargs) => receiver switch
    {
        string s => StringMethods.Call(s, name, args, kwargs),
        List<object?> l when ListMutators.Contains(name) => throw Unsafe(receiver, name),
        List<object?> l => name switch
        {
            "index" => (long)IndexOf(l, Arg(args, 0)),
            "count" => (long)l.Count(x => Py.Equal(x, Arg(args, 0))),
            _ => new List<object?>(l),
        },
        PyDict d when DictMutators.Contains(name) => throw Unsafe(receiver, name),
        PyDict d => name switch
        {
            "get" => Arg(args, 0) is { } key && d.TryGetValue(key, out var v) ? v : args.Count > 1 ? args[1] : null,
            "items" => new PyIterator(d.Select(p => (object?)new PyTuple([p.Key, p.Value])).ToList(), "dict_items", isView: true),
            "keys" => new PyIterator(d.Keys.ToList<object?>(), "dict_keys", isView: true),
            "values" => new PyIterator(d.Values.ToList(), "dict_values", isView: true),
            _ => Copy(d),
        },
        _ => throw new TemplateException($"'{Py.TypeName(receiver)}' object has no attribute '{name}'"),
    };

    internal static object? Arg(List<object?> args, int i) =>
        i < args.Count ? args[i] : throw new TemplateException($"missing required argument {i + 1}");

    private static int IndexOf(List<object?> l, object? item)
    {
        int i = l.FindIndex(x => Py.Equal(x, item));
        return i >= 0 ? i : throw new TemplateException($"{Py.Repr(item)} is not in list");
    }

    private static PyDict Copy(PyDict d)
    {
        var copy = new PyDict(d.Count);
        foreach (var (k, v) in d) copy[k] = v;
        return copy;
    }

    private static TemplateException Unsafe(object receiver, string name) =>
        new($"access to attribute '{name}' of '{Py.TypeName(receiver)}' object is unsafe.");
}
