namespace InferenceServer.Templates.Runtime;

/// <summary>The <c>loop</c> variable inside a for loop.</summary>
internal sealed class LoopContext(List<object?> items, int depth, Callable? recurse) : Callable
{
    public override string Name => "loop";

    /// <summary>Calling <c>loop(children)</c> in a recursive loop renders the body over the children.</summary>
    public override object? Call(List<object?> args, Dictionary<string, object?>? kwargs) =>
        recurse is null ? throw new TemplateException("'LoopContext' object is not callable") : recurse.Call(args, kwargs);

    private object? _lastChanged = Undefined.Instance;

    public int Index0 { get; set; }

    public object? Get(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)depth,
        "depth0" => (long)depth - 1,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", (args, _) =>
            args.Count == 0 ? throw new TemplateException("no items for cycling given") : args[Index0 % args.Count]),
        "changed" => new BuiltinFunction("changed", (args, _) =>
        {
            var value = new PyTuple(args);
            if (Py.Equal(value, _lastChanged)) return false;
            _lastChanged = value;
            return true;
        }),
        _ => Undefined.NoAttribute(this, name),
    };
}
