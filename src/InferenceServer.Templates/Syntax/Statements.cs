using System.Text;
using InferenceServer.Templates.Runtime;

namespace InferenceServer.Templates.Syntax;

internal enum Flow { Normal, Break, Continue }

/// <summary>A statement node; <see cref="Render"/> appends its output and reports loop control flow.</summary>
internal abstract class Stmt
{
    public int Line { get; set; }

    public abstract Flow Render(Scope scope, StringBuilder output);

    public static Flow RenderAll(List<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            Flow flow;
            try
            {
                RenderBudget.Step(output.Length);
                flow = stmt.Render(scope, output);
            }
            catch (TemplateException e) when (e.Line == 0 && stmt.Line > 0)
            {
                throw e.WithLine(stmt.Line);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }
}

internal sealed class TextStmt(string text) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        output.Append(text);
        return Flow.Normal;
    }
}

internal sealed class PrintStmt(Expr expr) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        var value = expr.Eval(scope);
        if (value is string s) output.Append(s);
        else output.Append(Py.Str(value));
        return Flow.Normal;
    }
}

internal sealed class IfStmt(List<(Expr Test, List<Stmt> Body)> branches, List<Stmt>? otherwise) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        foreach (var (test, body) in branches)
        {
            bool taken;
            try
            {
                taken = Py.Truthy(test.Eval(scope));
            }
            catch (TemplateException e) when (e.Line == 0)
            {
                throw e.WithLine(test.Line);
            }
            if (taken) return RenderAll(body, scope, output);
        }
        return otherwise is null ? Flow.Normal : RenderAll(otherwise, scope, output);
    }
}

/// <summary>An assignment target: names (a tuple when several), or <c>ns.attr</c>.</summary>
internal sealed record AssignTarget(List<string> Names, string? Attribute, bool IsTuple = false)
{
    public void Assign(Scope scope, object? value)
    {
        if (Attribute is not null)
        {
            if (scope.Lookup(Names[0]) is not Namespace ns)
                throw new TemplateException("Can only assign attributes of namespace objects");
            ns.Attributes[Attribute] = value;
            return;
        }
        if (!IsTuple) { scope.Set(Names[0], value); return; }
        var items = Py.ToList(value);
        if (items.Count != Names.Count)
            throw new TemplateException(items.Count < Names.Count
                ? $"not enough values to unpack (expected {Names.Count}, got {items.Count})"
                : $"too many values to unpack (expected {Names.Count})");
        for (int i = 0; i < Names.Count; i++) scope.Set(Names[i], items[i]);
    }
}

internal sealed class SetStmt(AssignTarget target, Expr value) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        target.Assign(scope, value.Eval(scope));
        return Flow.Normal;
    }
}

internal sealed class SetBlockStmt(AssignTarget target, List<FilterCall> filters, List<Stmt> body) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        var captured = new StringBuilder();
        RenderAll(body, scope, captured);
        object? value = captured.ToString();
        foreach (var f in filters) value = f.Apply(value, scope);
        target.Assign(scope, value);
        return Flow.Normal;
    }
}

internal sealed class FilterBlockStmt(List<FilterCall> filters, List<Stmt> body) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        var captured = new StringBuilder();
        RenderAll(body, scope, captured);
        object? value = captured.ToString();
        foreach (var f in filters) value = f.Apply(value, scope);
        output.Append(Py.Str(value));
        return Flow.Normal;
    }
}

internal sealed class MacroStmt(string name, List<string> parameters, List<Expr?> defaults, List<Stmt> body) : Stmt
{
    public string Name => name;

    public List<string> Parameters => parameters;

    public List<Expr?> Defaults => defaults;

    public List<Stmt> Body => body;

    public override Flow Render(Scope scope, StringBuilder output)
    {
        scope.Set(name, new Macro(this, scope));
        return Flow.Normal;
    }
}

internal sealed class CallBlockStmt(CallExpr call, MacroStmt caller) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        output.Append(Py.Str(call.Invoke(scope, new Macro(caller, scope))));
        return Flow.Normal;
    }
}

internal sealed class GenerationStmt(List<Stmt> body) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        RenderAll(body, new Scope(scope), output);
        return Flow.Normal;
    }
}

internal sealed class BreakStmt : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output) => Flow.Break;
}

internal sealed class ContinueStmt : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output) => Flow.Continue;
}
