using InferenceServer.Templates.Runtime;

namespace InferenceServer.Templates.Syntax;

/// <summary>An expression node; <see cref="Eval"/> computes its Python value in a scope.</summary>
internal abstract class Expr
{
    public int Line { get; init; }

    public abstract object? Eval(Scope scope);
}

internal sealed class ConstExpr(object? value) : Expr
{
    public object? Value => value;

    public override object? Eval(Scope scope) => value;
}

internal sealed class NameExpr(string name) : Expr
{
    public string Name => name;

    public override object? Eval(Scope scope) => scope.Lookup(name);
}

internal sealed class ListExpr(List<Expr> items) : Expr
{
    public override object? Eval(Scope scope) => items.ConvertAll(i => i.Eval(scope));
}

internal sealed class TupleExpr(List<Expr> items) : Expr
{
    public override object? Eval(Scope scope) => new PyTuple(items.ConvertAll(i => i.Eval(scope)));
}

internal sealed class DictExpr(List<(Expr Key, Expr Value)> pairs) : Expr
{
    public override object? Eval(Scope scope)
    {
        var d = new PyDict(pairs.Count);
        foreach (var (k, v) in pairs)
        {
            var key = k.Eval(scope);
            if ((key is List<object?> && key is not PyTuple) || key is PyDict or null or Undefined)
                throw new TemplateException($"unhashable type: '{Py.TypeName(key)}'");
            d[key] = v.Eval(scope);
        }
        return d;
    }
}

internal sealed class GetAttrExpr(Expr target, string name) : Expr
{
    public Expr Target => target;

    public string Name => name;

    public override object? Eval(Scope scope) => Py.GetAttr(target.Eval(scope), name);
}

internal sealed class GetItemExpr(Expr target, Expr key) : Expr
{
    public override object? Eval(Scope scope) => Py.GetItem(target.Eval(scope), key.Eval(scope));
}

internal sealed class SliceExpr(Expr target, Expr? start, Expr? stop, Expr? step) : Expr
{
    public override object? Eval(Scope scope) =>
        Py.Slice(target.Eval(scope), start?.Eval(scope), stop?.Eval(scope), step?.Eval(scope));
}

internal sealed class CallExpr(Expr function, List<Expr> args, List<(string Name, Expr Value)> kwargs) : Expr
{
    public override object? Eval(Scope scope) => RenderBudget.Check(Invoke(scope, caller: null));

    public object? Invoke(Scope scope, Callable? caller)
    {
        var fn = function.Eval(scope);
        var values = args.ConvertAll(a => a.Eval(scope));
        Dictionary<string, object?>? named = null;
        if (kwargs.Count > 0)
        {
            named = new Dictionary<string, object?>(kwargs.Count);
            foreach (var (n, v) in kwargs) named[n] = v.Eval(scope);
        }
        return fn switch
        {
            Macro m => m.Invoke(values, named, caller),
            Callable c => c.Call(values, named),
            Undefined u => throw u.Fail(),
            _ => throw new TemplateException($"'{Py.TypeName(fn)}' object is not callable"),
        };
    }
}

/// <summary>A filter application; also used by filter blocks and block sets.</summary>
internal sealed record FilterCall(string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line)
{
    public object? Apply(object? value, Scope scope)
    {
        var args = Args.ConvertAll(a => a.Eval(scope));
        Dictionary<string, object?>? named = null;
        if (Kwargs.Count > 0)
        {
            named = new Dictionary<string, object?>(Kwargs.Count);
            foreach (var (n, v) in Kwargs) named[n] = v.Eval(scope);
        }
        return Filters.Apply(Name, value, args, named);
    }
}

internal sealed class FilterExpr(Expr input, FilterCall filter) : Expr
{
    public override object? Eval(Scope scope) => RenderBudget.Check(filter.Apply(input.Eval(scope), scope));
}

internal sealed class TestExpr(Expr input, string name, List<Expr> args, bool negated) : Expr
{
    public override object? Eval(Scope scope)
    {
        var result = Tests.Apply(name, input.Eval(scope), args.ConvertAll(a => a.Eval(scope)));
        return result != negated;
    }
}

internal sealed class NegExpr(Expr operand) : Expr
{
    public override object? Eval(Scope scope) => Py.Negate(operand.Eval(scope));
}

internal sealed class NotExpr(Expr operand) : Expr
{
    public override object? Eval(Scope scope) => !Py.Truthy(operand.Eval(scope));
}

internal sealed class AndExpr(Expr left, Expr right) : Expr
{
    public override object? Eval(Scope scope)
    {
        var l = left.Eval(scope);
        return Py.Truthy(l) ? right.Eval(scope) : l;
    }
}

internal sealed class OrExpr(Expr left, Expr right) : Expr
{
    public override object? Eval(Scope scope)
    {
        var l = left.Eval(scope);
        return Py.Truthy(l) ? l : right.Eval(scope);
    }
}

internal sealed class BinaryExpr(string op, Expr left, Expr right) : Expr
{
    public override object? Eval(Scope scope) => RenderBudget.Check(Py.Binary(op, left.Eval(scope), right.Eval(scope)));
}

internal sealed class ConcatExpr(List<Expr> parts) : Expr
{
    public override object? Eval(Scope scope) => RenderBudget.Check(string.Concat(parts.Select(p => Py.Str(p.Eval(scope)))));
}

internal sealed class CondExpr(Expr test, Expr then, Expr? otherwise) : Expr
{
    public override object? Eval(Scope scope) =>
        Py.Truthy(test.Eval(scope)) ? then.Eval(scope)
        : otherwise is null ? new Undefined("the inline if-expression evaluated to false and no else section was defined.")
        : otherwise.Eval(scope);
}

internal sealed class CompareExpr(Expr first, List<(string Op, Expr Operand)> ops) : Expr
{
    public override object? Eval(Scope scope)
    {
        var left = first.Eval(scope);
        foreach (var (op, operand) in ops)
        {
            var right = operand.Eval(scope);
            bool ok = op switch
            {
                "==" => Py.Equal(left, right),
                "!=" => !Py.Equal(left, right),
                "<" => Py.Compare(left, right, op) < 0,
                ">" => Py.Compare(left, right, op) > 0,
                "<=" => Py.Compare(left, right, op) <= 0,
                ">=" => Py.Compare(left, right, op) >= 0,
                "in" => Py.Contains(right, left),
                _ => !Py.Contains(right, left),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }
}
