using System.Collections.Generic;

namespace InferenceServer.Templates.Runtime;

/// <summary>jinja2's default <c>Undefined</c>: prints as "", is falsy and iterates as empty; most other uses fail.</summary>
internal sealed class Undefined(string hint)
{
    public static readonly Undefined Instance = new("value is undefined");

    public string Hint { get; } = hint;

    public static Undefined Named(string name) => new($"'{name}' is undefined");

    public static Undefined NoAttribute(object? owner, string attribute) =>
        new($"'{Py.TypeName(owner)} object' has no attribute '{attribute}'");

    public TemplateException Fail() => new(Hint);
}

/// <summary>A Python tuple: an immutable list that prints with parentheses.</summary>
internal sealed class PyTuple : List<object?>
{
    public PyTuple(IEnumerable<object?> items) : base(items) { }
}

/// <summary>A Python dict: insertion-ordered, keys compared with Python equality.</summary>
internal sealed class PyDict : OrderedDictionary<object, object?>
{
    public PyDict() : base(PyKeyComparer.Instance) { }

    public PyDict(int capacity) : base(capacity, PyKeyComparer.Instance) { }
}

internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => Py.Equal(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        string s => s.GetHashCode(),
        bool b => (b ? 1.0 : 0.0).GetHashCode(),
        long l => ((double)l).GetHashCode(),
        double d => d.GetHashCode(),
        _ => obj.GetHashCode(),
    };
}

/// <summary>The object <c>namespace(...)</c> returns: attributes assignable with <c>{% set ns.x = ... %}</c>.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>Something a template can call: globals, macros, bound methods.</summary>
internal abstract class Callable
{
    public abstract object? Call(List<object?> args, Dictionary<string, object?>? kwargs);

    public abstract string Name { get; }
}

internal sealed class BuiltinFunction(string name, Func<List<object?>, Dictionary<string, object?>?, object?> body) : Callable
{
    public override string Name => name;

    public override object? Call(List<object?> args, Dictionary<string, object?>? kwargs) => body(args, kwargs);
}

/// <summary>A method of a string, list or dict, bound to its receiver (e.g. <c>message.content.strip</c>).</summary>
internal sealed class BoundMethod(object receiver, string name) : Callable
{
    public override string Name => name;

    public object Receiver => receiver;

    public override object? Call(List<object?> args, Dictionary<string, object?>? kwargs) =>
        Methods.Call(receiver, name, args, kwargs);
}

/// <summary>
/// markupsafe's <c>Markup</c>, what <c>safe</c> and <c>escape</c> return: a string that HTML-escapes plain strings
/// joined to it with <c>+</c> (on either side). Elsewhere it behaves as its text.
/// </summary>
internal sealed class Markup(string text)
{
    public string Text => text;

    public static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
}
