using InferenceServer.Templates.Lexing;
using InferenceServer.Templates.Runtime;

namespace InferenceServer.Templates.Syntax;

/// <summary>Recursive-descent parser from tokens to the statement tree, following jinja2's grammar.</summary>
internal sealed partial class Parser(List<Token> tokens, bool generationTags = false)
{
    private int _pos;

    // jinja2 rejects an unknown filter or test when compiling, except inside an if statement or an inline
    // if-expression, where it fails only when evaluated.
    private readonly List<UnknownName> _unknownNames = [];
    private bool _soft;

    // Nesting of blocks and expressions is bounded so that a hostile template fails to parse instead of overflowing
    // the stack (which would end the process); real chat templates nest a few dozen levels at most.
    private const int MaxNesting = 256;
    private int _nesting;

    private void Enter()
    {
        if (++_nesting > MaxNesting)
            throw Error($"the template nests blocks or expressions more than {MaxNesting} levels deep");
    }

    private void Leave() => _nesting--;

    private sealed class UnknownName(string message, int line, bool soft)
    {
        public string Message => message;

        public int Line => line;

        public bool Soft { get; set; } = soft;
    }

    private Token Peek => tokens[_pos];

    private Token PeekAt(int offset) => tokens[Math.Min(_pos + offset, tokens.Count - 1)];

    private Token Next() => tokens[_pos++];

    public List<Stmt> ParseTemplate()
    {
        var body = ParseBody([], out _);
        if (_unknownNames.Find(u => !u.Soft) is { } unknown) throw new TemplateException(unknown.Message, unknown.Line);
        return body;
    }

    private TemplateException Error(string message, Token? at = null) => new(message, (at ?? Peek).Line);

    private Token Expect(TokenKind kind, string? text = null)
    {
        var t = Peek;
        if (t.Kind != kind || (text is not null && t.Text != text))
            throw Error($"Expected {text ?? kind.ToString()}, got '{(t.Kind == TokenKind.Eof ? "end of template" : t.Text)}'");
        return Next();
    }

    private string ExpectName() => Expect(TokenKind.Name).Text;

    private bool SkipOp(string op)
    {
        if (!Peek.IsOp(op)) return false;
        _pos++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Peek.IsName(name)) return false;
        _pos++;
        return true;
    }

    /// <summary>Parses statements up to a block tag named in <paramref name="ends"/>, consuming its name.</summary>
    private List<Stmt> ParseBody(string[] ends, out string end)
    {
        Enter();
        try
        {
            return ParseBodyNested(ends, out end);
        }
        finally
        {
            Leave();
        }
    }

    private List<Stmt> ParseBodyNested(string[] ends, out string end)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.Text:
                    body.Add(new TextStmt(Next().Text) { Line = t.Line });
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var expr = ParseTuple();
                    Expect(TokenKind.VariableEnd);
                    body.Add(new PrintStmt(expr) { Line = t.Line });
                    break;
                case TokenKind.BlockBegin:
                    var name = PeekAt(1);
                    if (name.Kind == TokenKind.Name && ends.Contains(name.Text))
                    {
                        _pos += 2;
                        end = name.Text;
                        return body;
                    }
                    Next();
                    body.Add(ParseStatement());
                    break;
                case TokenKind.Eof:
                    if (ends.Length > 0)
                        throw Error($"Unexpected end of template; expected '{string.Join("' or '", ends)}'");
                    end = "";
                    return body;
                default:
                    throw Error($"Unexpected '{t.Text}'");
            }
        }
    }

    /// <summary>Parses a nested body (loop, macro, call, filter, block set), which jinja2 compiles in a frame of its own.</summary>
    private List<Stmt> ParseInnerBody(string[] ends, out string end)
    {
        bool soft = _soft;
        _soft = false;
        var body = ParseBody(ends, out end);
        _soft = soft;
        return body;
    }

    private Stmt ParseStatement()
    {
        var t = Peek;
        if (t.Kind != TokenKind.Name) throw Error("Tag name expected");
        Next();
        Stmt stmt = t.Text switch
        {
            "if" => ParseIf(),
            "for" => ParseFor(),
            "set" => ParseSet(),
            "macro" => ParseMacro(),
            "call" => ParseCallBlock(),
            "filter" => ParseFilterBlock(),
            "generation" when generationTags => ParseGeneration(),
            "break" => EndTag(new BreakStmt()),
            "continue" => EndTag(new ContinueStmt()),
            _ => throw Error($"Encountered unknown tag '{t.Text}'", t),
        };
        stmt.Line = t.Line;
        return stmt;
    }

    private Stmt EndTag(Stmt stmt)
    {
        Expect(TokenKind.BlockEnd);
        return stmt;
    }

    private Stmt ParseIf()
    {
        var branches = new List<(Expr, List<Stmt>)>();
        List<Stmt>? otherwise = null;
        bool soft = _soft;
        _soft = true;
        var test = ParseTuple(withCondExpr: false);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = ParseBody(["elif", "else", "endif"], out var end);
            branches.Add((test, body));
            if (end == "elif") { test = ParseTuple(withCondExpr: false); continue; }
            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                otherwise = ParseBody(["endif"], out _);
            }
            Expect(TokenKind.BlockEnd);
            _soft = soft;
            return new IfStmt(branches, otherwise);
        }
    }

    private Stmt ParseFor()
    {
        var target = ParseAssignTarget();
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        Expr? filter = SkipName("if") ? ParseExpression() : null;
        bool recursive = SkipName("recursive");
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endfor", "else"], out var end);
        List<Stmt>? otherwise = null;
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            otherwise = ParseInnerBody(["endfor"], out _);
        }
        Expect(TokenKind.BlockEnd);
        return new ForStmt(target, iterable, filter, body, otherwise, recursive);
    }

    private AssignTarget ParseAssignTarget(bool allowAttribute = false)
    {
        var first = ExpectName();
        if (allowAttribute && SkipOp("."))
            return new AssignTarget([first], ExpectName());
        var names = new List<string> { first };
        bool isTuple = false;
        while (SkipOp(","))
        {
            isTuple = true;
            if (Peek.Kind != TokenKind.Name || Peek.IsName("in")) break;
            names.Add(ExpectName());
        }
        return new AssignTarget(names, null, isTuple);
    }

    private Stmt ParseSet()
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (SkipOp("="))
        {
            var value = ParseTuple();
            Expect(TokenKind.BlockEnd);
            return new SetStmt(target, value);
        }
        var filters = ParseFilterChain();
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endset"], out _);
        Expect(TokenKind.BlockEnd);
        return new SetBlockStmt(target, filters, body);
    }

    private Stmt ParseMacro()
    {
        var name = ExpectName();
        var (parameters, defaults) = ParseSignature();
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endmacro"], out _);
        if (Peek.Kind == TokenKind.Name) Next();
        Expect(TokenKind.BlockEnd);
        return new MacroStmt(name, parameters, defaults, body);
    }

    private (List<string>, List<Expr?>) ParseSignature()
    {
        var parameters = new List<string>();
        var defaults = new List<Expr?>();
        Expect(TokenKind.Operator, "(");
        while (!SkipOp(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOp(")")) break;
            parameters.Add(ExpectName());
            defaults.Add(SkipOp("=") ? ParseExpression() : null);
        }
        return (parameters, defaults);
    }

    private Stmt ParseCallBlock()
    {
        var (parameters, defaults) = Peek.IsOp("(") ? ParseSignature() : ([], []);
        var call = ParseExpression();
        if (call is not CallExpr callExpr) throw Error("Expected a call expression after 'call'");
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endcall"], out _);
        Expect(TokenKind.BlockEnd);
        return new CallBlockStmt(callExpr, new MacroStmt("caller", parameters, defaults, body));
    }

    // Hugging Face's {% generation %} marks the assistant's text for training masks; rendering, it is its body in a
    // frame of its own (transformers compiles it as a call block).
    private Stmt ParseGeneration()
    {
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endgeneration"], out _);
        Expect(TokenKind.BlockEnd);
        return new GenerationStmt(body);
    }

    private Stmt ParseFilterBlock()
    {
        _pos--;
        var filters = ParseFilterChain();
        Expect(TokenKind.BlockEnd);
        var body = ParseInnerBody(["endfilter"], out _);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(filters, body);
    }

    /// <summary>Parses <c>| f(args) | g</c> (the first pipe optional after the <c>filter</c> tag).</summary>
    private List<FilterCall> ParseFilterChain()
    {
        var chain = new List<FilterCall>();
        while (SkipOp("|") || (chain.Count == 0 && SkipName("filter")))
            chain.Add(ParseFilterCall());
        return chain;
    }
}
