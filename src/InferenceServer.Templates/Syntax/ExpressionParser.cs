using InferenceServer.Templates.Lexing;
using InferenceServer.Templates.Runtime;

namespace InferenceServer.Templates.Syntax;

/// <summary>Expression grammar, by jinja2's precedence: condexpr, or, and, not, compare, + -, ~, * / // %, **, unary, postfix/filters.</summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", ">", "<=", ">="];

    private Expr ParseTuple(bool withCondExpr = true, string? extraEnd = null)
    {
        int line = Peek.Line;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                if (!SkipOp(",")) break;
                isTuple = true;
            }
            if (IsTupleEnd(extraEnd)) break;
            items.Add(withCondExpr ? ParseExpression() : ParseOr());
        }
        if (!isTuple && items.Count == 1) return items[0];
        if (!isTuple && items.Count == 0) throw Error("Expected an expression");
        return new TupleExpr(items) { Line = line };
    }

    private bool IsTupleEnd(string? extraEnd) =>
        Peek.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Peek.IsOp(")") || (extraEnd is not null && Peek.IsName(extraEnd)) || Peek.IsName("if");

    private Expr ParseExpression()
    {
        int unknownMark = _unknownNames.Count;
        var expr = ParseOr();
        while (Peek.IsName("if"))
        {
            for (int i = unknownMark; i < _unknownNames.Count; i++) _unknownNames[i].Soft = true;
            bool soft = _soft;
            _soft = true;
            int line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression() : null;
            expr = new CondExpr(test, expr, otherwise) { Line = line };
            _soft = soft;
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Peek.IsName("or")) { int line = Next().Line; left = new OrExpr(left, ParseAnd()) { Line = line }; }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Peek.IsName("and")) { int line = Next().Line; left = new AndExpr(left, ParseNot()) { Line = line }; }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Peek.IsName("not")) return ParseCompare();
        int line = Next().Line;
        Enter();
        try
        {
            return new NotExpr(ParseNot()) { Line = line };
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParseCompare()
    {
        int line = Peek.Line;
        var first = ParseMath1();
        var ops = new List<(string, Expr)>();
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.Operator && CompareOps.Contains(t.Text)) { Next(); ops.Add((t.Text, ParseMath1())); }
            else if (t.IsName("in")) { Next(); ops.Add(("in", ParseMath1())); }
            else if (t.IsName("not") && PeekAt(1).IsName("in")) { _pos += 2; ops.Add(("notin", ParseMath1())); }
            else break;
        }
        return ops.Count == 0 ? first : new CompareExpr(first, ops) { Line = line };
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Peek.IsOp("+") || Peek.IsOp("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Text, left, ParseConcat()) { Line = t.Line };
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var first = ParseMath2();
        if (!Peek.IsOp("~")) return first;
        var parts = new List<Expr> { first };
        int line = Peek.Line;
        while (SkipOp("~")) parts.Add(ParseMath2());
        return new ConcatExpr(parts) { Line = line };
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%")
        {
            var t = Next();
            left = new BinaryExpr(t.Text, left, ParsePow()) { Line = t.Line };
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary();
        while (Peek.IsOp("**"))
        {
            var t = Next();
            left = new BinaryExpr("**", left, ParseUnary()) { Line = t.Line };
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        Enter();
        try
        {
            return ParseUnaryNested(withFilter);
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParseUnaryNested(bool withFilter)
    {
        Expr node;
        var t = Peek;
        if (t.IsOp("-")) { Next(); node = new NegExpr(ParseUnary(false)) { Line = t.Line }; }
        else if (t.IsOp("+")) { Next(); node = ParseUnary(false); }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(true) { Line = t.Line },
                    "false" or "False" => new ConstExpr(false) { Line = t.Line },
                    "none" or "None" => new ConstExpr(null) { Line = t.Line },
                    _ => new NameExpr(t.Text) { Line = t.Line },
                };
            case TokenKind.String:
                var s = (string)t.Value!;
                while (Peek.Kind == TokenKind.String) s += (string)Next().Value!;
                return new ConstExpr(s) { Line = t.Line };
            case TokenKind.Integer:
            case TokenKind.Float:
                return new ConstExpr(t.Value) { Line = t.Line };
            case TokenKind.Operator when t.Text == "(":
                var inner = ParseTuple();
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Text == "[":
                return new ListExpr(ParseItems("]")) { Line = t.Line };
            case TokenKind.Operator when t.Text == "{":
                return ParseDict(t.Line);
            default:
                throw Error($"Unexpected '{(t.Kind == TokenKind.Eof ? "end of template" : t.Text)}'", t);
        }
    }

    private List<Expr> ParseItems(string close)
    {
        var items = new List<Expr>();
        while (!SkipOp(close))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOp(close)) break;
            items.Add(ParseExpression());
        }
        return items;
    }

    private Expr ParseDict(int line)
    {
        var pairs = new List<(Expr, Expr)>();
        while (!SkipOp("}"))
        {
            if (pairs.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOp("}")) break;
            var key = ParseExpression();
            Expect(TokenKind.Operator, ":");
            pairs.Add((key, ParseExpression()));
        }
        return new DictExpr(pairs) { Line = line };
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOp("."))
            {
                Next();
                var attr = Next();
                node = attr.Kind == TokenKind.Integer
                    ? new GetItemExpr(node, new ConstExpr(attr.Value)) { Line = t.Line }
                    : new GetAttrExpr(node, attr.Kind == TokenKind.Name ? attr.Text : throw Error("Expected attribute name", attr)) { Line = t.Line };
            }
            else if (t.IsOp("[")) { Next(); node = ParseSubscript(node, t.Line); }
            else if (t.IsOp("(")) { Next(); node = ParseCall(node, t.Line); }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node, int line)
    {
        var parts = new Expr?[3];
        int index = 0;
        bool isSlice = false;
        while (!Peek.IsOp("]"))
        {
            if (SkipOp(":")) { isSlice = true; index++; if (index > 2) throw Error("Invalid slice"); continue; }
            parts[index] = ParseExpression();
        }
        Next();
        return isSlice
            ? new SliceExpr(node, parts[0], parts[1], parts[2]) { Line = line }
            : new GetItemExpr(node, parts[0] ?? throw Error("Expected subscript")) { Line = line };
    }

    private CallExpr ParseCall(Expr fn, int line)
    {
        var (args, kwargs) = ParseArguments();
        return new CallExpr(fn, args, kwargs) { Line = line };
    }

    /// <summary>Parses arguments after an opening parenthesis through the closing one.</summary>
    private (List<Expr>, List<(string, Expr)>) ParseArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!SkipOp(")"))
        {
            if (args.Count + kwargs.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOp(")")) break;
            if (Peek.Kind == TokenKind.Name && PeekAt(1).IsOp("="))
            {
                var name = Next().Text;
                Next();
                kwargs.Add((name, ParseExpression()));
            }
            else args.Add(ParseExpression());
        }
        return (args, kwargs);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Peek.IsOp("|")) { Next(); var f = ParseFilterCall(); node = new FilterExpr(node, f) { Line = f.Line }; }
            else if (Peek.IsName("is")) node = ParseTest(node);
            else if (Peek.IsOp("(")) { int line = Next().Line; node = ParseCall(node, line); }
            else return node;
        }
    }

    private FilterCall ParseFilterCall()
    {
        var t = Peek;
        var name = ExpectName();
        while (SkipOp(".")) name += "." + ExpectName();
        if (!Filters.Exists(name)) _unknownNames.Add(new UnknownName($"No filter named '{name}'.", t.Line, _soft));
        var (args, kwargs) = SkipOp("(") ? ParseArguments() : ([], []);
        return new FilterCall(name, args, kwargs, t.Line);
    }

    private Expr ParseTest(Expr node)
    {
        int line = Next().Line;
        bool negated = SkipName("not");
        var t = Peek;
        var name = ExpectName();
        if (!Tests.Exists(name)) _unknownNames.Add(new UnknownName($"No test named '{name}'.", t.Line, _soft));
        List<Expr> args = [];
        if (SkipOp("(")) args = ParseArguments().Item1;
        else if (StartsPrimary(Peek)) args = [ParsePostfix(ParsePrimary())];
        return new TestExpr(node, name, args, negated) { Line = line };
    }

    private static bool StartsPrimary(Token t) =>
        t.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
        || (t.Kind == TokenKind.Name && t.Text is not ("else" or "or" or "and"))
        || t.IsOp("[") || t.IsOp("{");
}
