using System.Globalization;
using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>Python value semantics the templates rely on: truthiness, str/repr, equality, ordering, iteration, len.</summary>
internal static partial class Py
{
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string or Markup => "str",
        PyTuple => "tuple",
        List<object?> => "list",
        PyDict => "dict",
        Undefined => "Undefined",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro => "Macro",
        Callable => "builtin_function_or_method",
        PyIterator it => it.TypeName,
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Markup m => m.Text.Length > 0,
        List<object?> l => l.Count > 0,
        PyDict d => d.Count > 0,
        Undefined => false,
        PyIterator it => !it.IsView || it.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool IsInteger(object? v) => v is long or bool;

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateException($"'{TypeName(v)}' object cannot be interpreted as an integer"),
    };

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => d,
        _ => throw new TemplateException($"must be real number, not {TypeName(v)}"),
    };

    /// <summary>Python's <c>str()</c>.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Markup m => m.Text,
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr()</c>.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case string s: AppendStringRepr(sb, s); break;
            case Markup m: sb.Append("Markup("); AppendStringRepr(sb, m.Text); sb.Append(')'); break;
            case PyTuple t:
                sb.Append('(');
                AppendItems(sb, t);
                sb.Append(t.Count == 1 ? ",)" : ")");
                break;
            case List<object?> l:
                sb.Append('[');
                AppendItems(sb, l);
                sb.Append(']');
                break;
            case PyDict d:
                sb.Append('{');
                bool first = true;
                foreach (var (k, val) in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, val);
                }
                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes);
                sb.Append('>');
                break;
            case Callable c: sb.Append("<function ").Append(c.Name).Append('>'); break;
            case PyIterator it when it.IsView:
                sb.Append(it.TypeName).Append("([");
                AppendItems(sb, it.Consume());
                sb.Append("])");
                break;
            case PyIterator it: sb.Append('<').Append(it.TypeName).Append(" object>"); break;
            default: sb.Append(Str(v)); break;
        }
    }

    private static void AppendItems(StringBuilder sb, List<object?> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendRepr(sb, items[i]);
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2"));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(quote);
    }

    /// <summary>Python's float repr: shortest round-trip digits, fixed for 1e-4 ≤ |x| &lt; 1e16, else exponent.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        // Digits and decimal exponent of the shortest round-trip form.
        string sign = d < 0 ? "-" : "";
        var body = shortest.TrimStart('-');
        int exp = 0;
        int e = body.IndexOfAny(['E', 'e']);
        if (e >= 0) { exp = int.Parse(body[(e + 1)..], CultureInfo.InvariantCulture); body = body[..e]; }
        int dot = body.IndexOf('.');
        string digits = dot >= 0 ? body.Remove(dot, 1) : body;
        int pointPos = (dot >= 0 ? dot : body.Length) + exp;
        int lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        pointPos -= lead;
        if (digits.Length == 0) return "0.0";
        int sciExp = pointPos - 1;
        if (sciExp < -4 || sciExp >= 16)
        {
            var mant = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return $"{sign}{mant}e{(sciExp < 0 ? "-" : "+")}{Math.Abs(sciExp):00}";
        }
        if (pointPos <= 0) return $"{sign}0.{new string('0', -pointPos)}{digits}";
        if (pointPos >= digits.Length) return $"{sign}{digits}{new string('0', pointPos - digits.Length)}.0";
        return $"{sign}{digits[..pointPos]}.{digits[pointPos..]}";
    }

    public static bool Equal(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is Markup ma) a = ma.Text;
        if (b is Markup mb) b = mb.Text;
        if (IsNumber(a) && IsNumber(b))
            return IsInteger(a) && IsInteger(b) ? ToLong(a) == ToLong(b) : ToDouble(a) == ToDouble(b);
        switch (a)
        {
            case string sa: return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case Undefined: return b is Undefined;
            case List<object?> la when b is List<object?> lb && (a is PyTuple) == (b is PyTuple):
                if (la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++) if (!Equal(la[i], lb[i])) return false;
                return true;
            case PyDict da when b is PyDict db:
                if (da.Count != db.Count) return false;
                foreach (var (k, v) in da)
                    if (!db.TryGetValue(k, out var other) || !Equal(v, other)) return false;
                return true;
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering (&lt;, &gt;); numbers with numbers, strings with strings, lists lexicographically.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b))
            return IsInteger(a) && IsInteger(b) ? ToLong(a).CompareTo(ToLong(b)) : ToDouble(a).CompareTo(ToDouble(b));
        if (a is Markup ma) a = ma.Text;
        if (b is Markup mb) b = mb.Text;
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
                if (!Equal(la[i], lb[i])) return Compare(la[i], lb[i], op);
            return la.Count.CompareTo(lb.Count);
        }
        throw new TemplateException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static bool Contains(object? container, object? item) => (container is Markup mc ? mc.Text : container) switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new TemplateException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> l => l.Exists(x => Equal(x, item)),
        PyDict d => item is not null && d.ContainsKey(item),
        Undefined => false,
        PyIterator it => it.Consume().Exists(x => Equal(x, item)),
        _ => throw new TemplateException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        PyDict d => d.Keys,
        string s => Chars(s),
        Markup m => Chars(m.Text),
        Undefined => [],
        PyIterator it => it.Consume(),
        _ => throw new TemplateException($"'{TypeName(v)}' object is not iterable"),
    };

    public static List<object?> ToList(object? v) => v is List<object?> l ? l : [.. Iterate(v)];

    public static IEnumerable<object?> Chars(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                yield return s.Substring(i, 2);
                i++;
            }
            else yield return s[i].ToString();
        }
    }

    public static long Length(object? v) => v switch
    {
        string s => CodePointCount(s),
        Markup m => CodePointCount(m.Text),
        List<object?> l => l.Count,
        PyDict d => d.Count,
        Undefined => 0,
        PyIterator { IsView: true } view => view.Count,
        _ => throw new TemplateException($"object of type '{TypeName(v)}' has no len()"),
    };

    public static int CodePointCount(string s)
    {
        int n = s.Length;
        foreach (char c in s) if (char.IsLowSurrogate(c)) n--;
        return n;
    }
}
