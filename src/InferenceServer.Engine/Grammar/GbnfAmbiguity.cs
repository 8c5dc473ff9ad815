namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Bounds how many parse stacks llama.cpp's grammar keeps at once. llama.cpp expands a rule into one stack per way of
/// reaching a character through its alternatives (<c>llama_grammar_advance_stack</c>), with no limit: a rule chain like
/// <c>a0 ::= a1 | a1</c>, <c>a1 ::= a2 | a2</c>, … makes 2ⁿ stacks, which pins a core for hours inside native code, at
/// compile time or, deeper in the grammar, on the engine thread. This counts, per rule, the stacks entering it makes
/// (stacks stopping at a character, plus the ways it can match empty text, which continue past it) and reports the
/// first rule over the limit.
/// </summary>
public static class GbnfAmbiguity
{
    /// <summary>Most stacks one rule may produce (a JSON-schema grammar stays far below).</summary>
    public const double MaxStacks = 100_000;

    private abstract record Node;
    private sealed record Terminal : Node;
    private sealed record Ref(string Name) : Node;
    private sealed record Group(List<List<Node>> Alternatives) : Node;
    private sealed record Repeat(Node Item, int Min, int Max) : Node; // Max −1: unbounded

    /// <summary>Why <paramref name="gbnf"/> is refused, or null; null too when it does not read as GBNF (llama.cpp says why).</summary>
    public static string? Problem(string gbnf)
    {
        Dictionary<string, List<List<Node>>> rules;
        try
        {
            rules = new Reader(gbnf).Rules();
        }
        catch (FormatException)
        {
            return null;
        }
        var memo = new Dictionary<string, (double F, double N)>();
        foreach (string name in rules.Keys)
        {
            var (f, n) = Count(new Ref(name), rules, memo, []);
            if (f + n > MaxStacks)
                return $"rule '{name}' is too ambiguous: its alternatives reach the same text in more than {MaxStacks:N0} ways, " +
                       "which llama.cpp would follow all at once (merge alternatives that repeat each other)";
        }
        return null;
    }

    // (F, N): stacks that stop at a character inside, and ways to match empty text; saturating at infinity.
    private static (double F, double N) Count(Node node, Dictionary<string, List<List<Node>>> rules,
        Dictionary<string, (double, double)> memo, HashSet<string> active)
    {
        switch (node)
        {
            case Terminal:
                return (1, 0);
            case Ref r:
                if (memo.TryGetValue(r.Name, out var known))
                    return known;
                if (!rules.TryGetValue(r.Name, out var alts) || !active.Add(r.Name))
                    return (1, 0); // undefined or recursive: llama.cpp reports or handles it
                var result = Alternatives(alts, rules, memo, active);
                active.Remove(r.Name);
                memo[r.Name] = result;
                return result;
            case Group g:
                return Alternatives(g.Alternatives, rules, memo, active);
            case Repeat rep:
                var (f, n) = Count(rep.Item, rules, memo, active);
                // As llama.cpp builds it: the optional copies nest, (x (x …)?)?, so a copy is reached without
                // consuming text only through copies matching empty; x* is x R | ε; required copies come first.
                (double F, double N) tail = (0, 1);
                if (rep.Max < 0)
                    tail = n == 0 ? (f, 1) : (f * 64, 64);
                else
                    for (int k = 0; k < Math.Min(rep.Max - rep.Min, 256); k++)
                        tail = (f + n * tail.F, 1 + n * tail.N);
                for (int k = 0; k < Math.Min(rep.Min, 256); k++)
                    tail = (f + n * tail.F, n * tail.N);
                return tail;
            default:
                return (1, 0);
        }
    }

    private static (double F, double N) Alternatives(List<List<Node>> alts, Dictionary<string, List<List<Node>>> rules,
        Dictionary<string, (double, double)> memo, HashSet<string> active)
    {
        double f = 0, n = 0;
        foreach (var seq in alts)
        {
            double ways = 1;
            foreach (var item in seq)
            {
                var (itemF, itemN) = Count(item, rules, memo, active);
                f += ways * itemF;
                ways *= itemN;
                if (ways == 0)
                    break;
            }
            n += ways;
        }
        return (f, n);
    }

    // A forgiving reader of GBNF's structure: names, ::=, |, groups, literals, classes, quantifiers, comments.
    private sealed class Reader(string text)
    {
        private int _i;

        public Dictionary<string, List<List<Node>>> Rules()
        {
            var rules = new Dictionary<string, List<List<Node>>>();
            Skip();
            while (_i < text.Length)
            {
                string name = Name();
                Skip();
                if (!text.AsSpan(_i).StartsWith("::="))
                    throw new FormatException();
                _i += 3;
                rules[name] = Alts(topLevel: true);
                Skip();
            }
            return rules;
        }

        private List<List<Node>> Alts(bool topLevel)
        {
            var alts = new List<List<Node>> { new() };
            while (true)
            {
                Skip(stopAtNewline: topLevel);
                if (_i >= text.Length || (topLevel && text[_i] == '\n'))
                    return alts;
                char c = text[_i];
                if (c == ')')
                {
                    if (topLevel)
                        throw new FormatException();
                    _i++;
                    return alts;
                }
                if (c == '|')
                {
                    // After a bar, llama.cpp reads on across line breaks.
                    _i++;
                    Skip(stopAtNewline: false);
                    alts.Add([]);
                    continue;
                }
                if (topLevel && IsNameStart(c) && NextIsDefinition())
                    return alts;
                alts[^1].Add(Quantified(Atom()));
            }
        }

        private Node Atom()
        {
            char c = text[_i];
            if (c == '"')
            {
                // An empty literal matches empty text, like an empty alternative.
                bool empty = _i + 1 < text.Length && text[_i + 1] == '"';
                var literal = Skipped('"', new Terminal());
                return empty ? new Group([[]]) : literal;
            }
            if (c == '[')
                return Skipped(']', new Terminal());
            if (c == '.')
            {
                _i++;
                return new Terminal();
            }
            if (c == '(')
            {
                _i++;
                return new Group(Alts(topLevel: false));
            }
            if (IsNameStart(c))
                return new Ref(Name());
            throw new FormatException();
        }

        private Node Quantified(Node atom)
        {
            if (_i >= text.Length)
                return atom;
            switch (text[_i])
            {
                case '*': _i++; return new Repeat(atom, 0, -1);
                case '+': _i++; return new Repeat(atom, 1, -1);
                case '?': _i++; return new Repeat(atom, 0, 1);
                case '{':
                    int close = text.IndexOf('}', _i);
                    if (close < 0)
                        throw new FormatException();
                    var parts = text[(_i + 1)..close].Split(',');
                    _i = close + 1;
                    int min = int.Parse(parts[0].Trim());
                    int max = parts.Length == 1 ? min : parts[1].Trim().Length == 0 ? -1 : int.Parse(parts[1].Trim());
                    return new Repeat(atom, min, max);
                default: return atom;
            }
        }

        // Skips a literal or class up to its unescaped closing character.
        private Node Skipped(char close, Node node)
        {
            for (_i++; _i < text.Length; _i++)
            {
                if (text[_i] == '\\')
                    _i++;
                else if (text[_i] == close)
                {
                    _i++;
                    return node;
                }
            }
            throw new FormatException();
        }

        private bool NextIsDefinition()
        {
            int save = _i;
            Name();
            Skip(stopAtNewline: false);
            bool definition = text.AsSpan(_i).StartsWith("::=");
            _i = save;
            return definition;
        }

        private string Name()
        {
            int start = _i;
            while (_i < text.Length && (char.IsAsciiLetterOrDigit(text[_i]) || text[_i] is '-' or '_'))
                _i++;
            return _i > start ? text[start.._i] : throw new FormatException();
        }

        private static bool IsNameStart(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

        private void Skip(bool stopAtNewline = false)
        {
            while (_i < text.Length)
            {
                char c = text[_i];
                if (c == '#')
                    while (_i < text.Length && text[_i] != '\n')
                        _i++;
                else if (c == '\n' && stopAtNewline)
                    return;
                else if (char.IsWhiteSpace(c))
                    _i++;
                else
                    return;
            }
        }
    }
}
