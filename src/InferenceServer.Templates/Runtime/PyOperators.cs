using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>Python arithmetic (int stays int, / is true division, // and % floor) and jinja2's attribute/item access.</summary>
internal static partial class Py
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b)) return Arithmetic(op, a!, b!);
        if (a is Markup || b is Markup) return MarkupBinary(op, a, b);
        return (op, a, b) switch
        {
            ("+", string sa, string sb) => sa + sb,
            ("+", PyTuple la, PyTuple lb) => new PyTuple([.. la, .. lb]),
            ("+", List<object?> la, List<object?> lb) when la is not PyTuple && lb is not PyTuple => new List<object?>([.. la, .. lb]),
            ("*", string s, _) when IsInteger(b) => Repeat(s, ToLong(b)),
            ("*", _, string s) when IsInteger(a) => Repeat(s, ToLong(a)),
            ("*", List<object?> l, _) when IsInteger(b) => RepeatList(l, ToLong(b)),
            ("%", string s, _) => PercentFormat(s, b),
            _ => throw new TemplateException(
                $"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'"),
        };
    }

    private static object? MarkupBinary(string op, object? a, object? b)
    {
        string Safe(object? v) => v is Markup m ? m.Text : v is string s ? Markup.Escape(s) : throw new TemplateException(
            $"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
        return op switch
        {
            "+" => new Markup(Safe(a) + Safe(b)),
            "*" when a is Markup m && IsInteger(b) => new Markup(Repeat(m.Text, ToLong(b))),
            "*" when b is Markup m && IsInteger(a) => new Markup(Repeat(m.Text, ToLong(a))),
            "%" when a is Markup m => new Markup(PercentFormat(m.Text, b is string s ? Markup.Escape(s) : b)),
            _ => Binary(op, a is Markup ma ? ma.Text : a, b is Markup mb ? mb.Text : b),
        };
    }

    private static object Arithmetic(string op, object a, object b)
    {
        if (IsInteger(a) && IsInteger(b))
        {
            long x = ToLong(a), y = ToLong(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw ZeroDivision() : (double)x / y;
                case "//": return y == 0 ? throw ZeroDivision() : FloorDiv(x, y);
                case "%": return y == 0 ? throw ZeroDivision() : x - FloorDiv(x, y) * y;
                case "**": return y >= 0 ? (object)(long)Math.Pow(x, y) : Math.Pow(x, y);
            }
        }
        double p = ToDouble(a), q = ToDouble(b);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw ZeroDivision() : p / q,
            "//" => q == 0 ? throw ZeroDivision() : Math.Floor(p / q),
            "%" => q == 0 ? throw ZeroDivision() : p - Math.Floor(p / q) * q,
            "**" => Math.Pow(p, q),
            _ => throw new TemplateException($"unknown operator {op}"),
        };
    }

    private static long FloorDiv(long x, long y)
    {
        long q = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private static TemplateException ZeroDivision() => new("division by zero");

    private static string Repeat(string s, long n)
    {
        if (n <= 0) return "";
        RenderBudget.CheckRepeat(s.Length, n);
        var sb = new StringBuilder(s.Length * (int)n);
        for (long i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }

    private static List<object?> RepeatList(List<object?> l, long n)
    {
        RenderBudget.CheckRepeat(l.Count, n);
        var result = new List<object?>();
        for (long i = 0; i < n; i++) result.AddRange(l);
        return result;
    }

    /// <summary>printf-style <c>%s</c>/<c>%d</c>/<c>%r</c> formatting of <c>str % args</c>.</summary>
    private static string PercentFormat(string format, object? args)
    {
        List<object?> values = args is PyTuple t ? t : [args];
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char spec = format[++i];
            if (spec == '%') { sb.Append('%'); continue; }
            if (next >= values.Count) throw new TemplateException("not enough arguments for format string");
            var v = values[next++];
            sb.Append(spec switch { 'd' or 'i' => ToLong(v).ToString(), 'r' => Repr(v), _ => Str(v) });
        }
        return sb.ToString();
    }

    public static object? Negate(object? v) => v switch
    {
        long l => (object)-l,
        bool b => b ? -1L : 0L,
        double d => -d,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateException($"bad operand type for unary -: '{TypeName(v)}'"),
    };

    /// <summary><c>obj.name</c>: jinja2 tries the Python attribute (methods) first, then the item.</summary>
    public static object? GetAttr(object? obj, string name)
    {
        if (obj is Markup markup) obj = markup.Text;
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case PyDict d:
                if (Methods.IsMethod(d, name)) return new BoundMethod(d, name);
                return d.TryGetValue(name, out var v) ? v : Undefined.NoAttribute(obj, name);
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : Undefined.NoAttribute(obj, name);
            case LoopContext loop: return loop.Get(name);
            case string or List<object?> when Methods.IsMethod(obj, name): return new BoundMethod(obj, name);
            default: return Undefined.NoAttribute(obj, name);
        }
    }

    /// <summary><c>obj[key]</c>: jinja2 tries the item first, then a string key as attribute.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        if (obj is Markup markup) obj = markup.Text;
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case PyDict d when key is not null && d.TryGetValue(key, out var v): return v;
            case List<object?> l when IsInteger(key):
                long i = ToLong(key);
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Instance;
            case string s when IsInteger(key):
                var chars = s.Length == CodePointCount(s) ? null : Chars(s).ToList();
                long j = ToLong(key);
                int n = chars?.Count ?? s.Length;
                if (j < 0) j += n;
                if (j < 0 || j >= n) return Undefined.Instance;
                return chars is null ? s[(int)j].ToString() : chars[(int)j];
        }
        if (key is string name) return GetAttr(obj, name);
        return new Undefined($"'{TypeName(obj)} object' has no attribute '{Str(key)}'");
    }

    /// <summary><c>obj[start:stop:step]</c> on lists, tuples and strings.</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined u) throw u.Fail();
        long st = step is null ? 1 : ToLong(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        List<object?> items = obj switch
        {
            string s => Chars(s).ToList(),
            List<object?> l => l,
            _ => throw new TemplateException($"'{TypeName(obj)}' object is not subscriptable"),
        };
        int n = items.Count;
        long Clamp(object? v, long dflt, long lo, long hi)
        {
            if (v is null) return dflt;
            long x = ToLong(v);
            if (x < 0) x += n;
            return Math.Clamp(x, lo, hi);
        }
        long a = st > 0 ? Clamp(start, 0, 0, n) : Clamp(start, n - 1, -1, n - 1);
        long b = st > 0 ? Clamp(stop, n, 0, n) : Clamp(stop, -1, -1, n - 1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[(int)i]);
        if (obj is string) return string.Concat(result.Cast<string>());
        return obj is PyTuple ? new PyTuple(result) : result;
    }
}
