using System.Text;
using InferenceServer.Templates.Runtime;

namespace InferenceServer.Templates.Syntax;

/// <summary>
/// <c>{% for target in iterable [if filter] [recursive] %}</c>: a scope per iteration (assignments neither leak
/// out nor carry over), <c>loop.*</c> over the filtered items, the else body when nothing was iterated.
/// </summary>
internal sealed class ForStmt(AssignTarget target, Expr iterable, Expr? filter, List<Stmt> body, List<Stmt>? otherwise, bool recursive) : Stmt
{
    public override Flow Render(Scope scope, StringBuilder output)
    {
        object? source;
        try
        {
            source = iterable.Eval(scope);
        }
        catch (TemplateException e) when (e.Line == 0)
        {
            throw e.WithLine(iterable.Line);
        }
        RenderLoop(source, scope, output, 1);
        return Flow.Normal;
    }

    private void RenderLoop(object? source, Scope scope, StringBuilder output, int depth)
    {
        var loopScope = new Scope(scope);
        var items = Py.Iterate(source).ToList();
        if (filter is not null)
        {
            var filterScope = new Scope(scope);
            items = items.FindAll(item =>
            {
                target.Assign(filterScope, item);
                return Py.Truthy(filter.Eval(filterScope));
            });
        }
        if (items.Count == 0)
        {
            if (otherwise is not null) Stmt.RenderAll(otherwise, loopScope, output);
            return;
        }
        Callable? recurse = recursive
            ? new BuiltinFunction("loop", (args, _) =>
            {
                var sb = new StringBuilder();
                RenderLoop(args.Count > 0 ? args[0] : null, scope, sb, depth + 1);
                return sb.ToString();
            })
            : null;
        var loop = new LoopContext(items, depth, recurse);
        for (int i = 0; i < items.Count; i++)
        {
            // Each iteration starts from the enclosing scope: assignments do not carry over (as in jinja2).
            RenderBudget.Step(output.Length);
            var iterationScope = new Scope(scope);
            iterationScope.Set("loop", loop);
            loop.Index0 = i;
            target.Assign(iterationScope, items[i]);
            if (Stmt.RenderAll(body, iterationScope, output) == Flow.Break) break;
        }
    }

}
