using System.Text;
using InferenceServer.Templates.Syntax;

namespace InferenceServer.Templates.Runtime;

/// <summary>A macro (or a call block's <c>caller</c>): renders its body in a scope of its closure with the arguments bound.</summary>
internal sealed class Macro(MacroStmt definition, Scope closure) : Callable
{
    // Python stops runaway recursion near 1000 frames; a bound keeps a recursive template from overflowing the stack.
    private const int MaxDepth = 200;

    [ThreadStatic]
    private static int t_depth;

    public override string Name => definition.Name;

    public override object? Call(List<object?> args, Dictionary<string, object?>? kwargs) =>
        Invoke(args, kwargs, caller: null);

    public string Invoke(List<object?> args, Dictionary<string, object?>? kwargs, Callable? caller)
    {
        var scope = new Scope(closure);
        var parameters = definition.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            object? value;
            if (i < args.Count) value = args[i];
            else if (kwargs is not null && kwargs.Remove(parameters[i], out var kw)) value = kw;
            else if (definition.Defaults[i] is { } dflt) value = dflt.Eval(scope);
            else value = new Undefined($"parameter '{parameters[i]}' was not provided");
            scope.Set(parameters[i], value);
        }
        var extra = args.Count > parameters.Count ? args.GetRange(parameters.Count, args.Count - parameters.Count) : [];
        scope.Set("varargs", new List<object?>(extra));
        var extraKw = new PyDict();
        if (kwargs is not null) foreach (var (k, v) in kwargs) extraKw[k] = v;
        scope.Set("kwargs", extraKw);
        if (caller is not null) scope.Set("caller", caller);
        var output = new StringBuilder();
        if (++t_depth > MaxDepth)
        {
            t_depth = 0;
            throw new TemplateException("maximum recursion depth exceeded");
        }
        try
        {
            Stmt.RenderAll(definition.Body, scope, output);
        }
        finally
        {
            t_depth = Math.Max(0, t_depth - 1);
        }
        return output.ToString();
    }
}
