using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace InferenceServer.Templates.Runtime;

/// <summary>jinja2's built-in filters (and Hugging Face's <c>tojson</c>), with jinja2's argument names and defaults.</summary>
internal static partial class Filters
{
    private delegate object? Filter(object? value, FilterArgs a);

    private static readonly Dictionary<string, Filter> Table = new()
    {
        ["abs"] = (v, _) => v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), bool b => b ? 1L : 0L, _ => throw Bad("abs", v) },
        ["attr"] = (v, a) => Py.GetAttr(v, Py.Str(a.Get(0, "name"))),
        ["capitalize"] = (v, _) => Py.Str(v) is var s && s.Length > 0 ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
        ["center"] = (v, a) => StringMethods.Call(Py.Str(v), "center", [a.Get(0, "width", 80L)], null),
        ["count"] = (v, _) => Py.Length(v),
        ["length"] = (v, _) => Py.Length(v),
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, _) => v is Markup ? v : new Markup(Markup.Escape(Py.Str(v))),
        ["e"] = (v, _) => v is Markup ? v : new Markup(Markup.Escape(Py.Str(v))),
        ["first"] = (v, _) => Py.Iterate(v).Take(1).ToList() is [var x] ? x : new Undefined("No first item, sequence was empty."),
        ["last"] = (v, _) => Py.ToList(v) is { Count: > 0 } l ? l[^1] : new Undefined("No last item, sequence was empty."),
        ["float"] = (v, a) => ToFloat(v) ?? a.Get(0, "default", 0.0),
        ["int"] = (v, a) => ToInt(v, a.Get(1, "base", 10L)) ?? a.Get(0, "default", 0L),
        ["format"] = (v, a) => Py.Binary("%", Py.Str(v), new PyTuple(a.Positional)),
        ["indent"] = Indent,
        ["items"] = (v, _) => v switch
        {
            PyDict d => PyIterator.Generator(d.Select(p => (object?)new PyTuple([p.Key, p.Value]))),
            Undefined => PyIterator.Generator([]),
            _ => throw new TemplateException("Can only get item pairs from a mapping."),
        },
        ["join"] = (v, a) => string.Join(Py.Str(a.Get(0, "d", "")),
            Py.Iterate(v).Select(x => Py.Str(a.Get(1, "attribute", null) is { } attr ? AttrGetter(attr)(x) : x))),
        ["list"] = (v, _) => Py.Iterate(v).ToList(),
        ["lower"] = (v, _) => Py.Str(v).ToLowerInvariant(),
        ["upper"] = (v, _) => Py.Str(v).ToUpperInvariant(),
        ["map"] = Map,
        ["max"] = (v, a) => MinMax(v, a, 1),
        ["min"] = (v, a) => MinMax(v, a, -1),
        ["reject"] = (v, a) => Select(v, a, false, false),
        ["rejectattr"] = (v, a) => Select(v, a, false, true),
        ["select"] = (v, a) => Select(v, a, true, false),
        ["selectattr"] = (v, a) => Select(v, a, true, true),
        ["replace"] = (v, a) => StringMethods.Call(Py.Str(v), "replace", [a.Get(0, "old"), a.Get(1, "new"), a.Get(2, "count", null)], null),
        ["reverse"] = (v, _) => v is string s ? string.Concat(Py.Chars(s).Reverse())
            : new PyIterator(Enumerable.Reverse(Py.ToList(v)).ToList(), v is PyDict ? "dict_reversekeyiterator" : "list_reverseiterator"),
        ["round"] = Round,
        ["safe"] = (v, _) => v is Markup ? v : new Markup(Py.Str(v)),
        ["sort"] = Sort,
        ["string"] = (v, _) => Py.Str(v),
        ["sum"] = (v, a) => Py.Iterate(v).Select(x => a.Get(0, "attribute", null) is { } attr ? AttrGetter(attr)(x) : x)
            .Aggregate(a.Get(1, "start", 0L), (acc, x) => Py.Binary("+", acc, x)),
        ["title"] = (v, _) => Title(Py.Str(v)),
        ["tojson"] = (v, a) => PyJson.Dumps(v, Py.Truthy(a.Get(0, "ensure_ascii", false)), a.Get(1, "indent", null),
            Py.Truthy(a.Get(3, "sort_keys", false)), a.Get(2, "separators", null)),
        ["trim"] = (v, a) => StringMethods.Strip(Py.Str(v), a.Get(0, "chars", null) as string, true, true),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["wordcount"] = (v, _) => (long)WordRegex().Matches(Py.Str(v)).Count,
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static object? Apply(string name, object? value, List<object?> args, Dictionary<string, object?>? kwargs) =>
        Table.TryGetValue(name, out var filter)
            ? filter(value, new FilterArgs(args, kwargs))
            : throw new TemplateException($"No filter named '{name}'.");

    private static TemplateException Bad(string filter, object? v) =>
        v is Undefined u ? u.Fail() : new TemplateException($"bad operand type for {filter}(): '{Py.TypeName(v)}'");

    private static object? Default(object? v, FilterArgs a)
    {
        bool boolean = Py.Truthy(a.Get(1, "boolean", false));
        return v is Undefined || (boolean && !Py.Truthy(v)) ? a.Get(0, "default_value", "") : v;
    }

    private static object? ToInt(object? v, object? numberBase)
    {
        switch (v)
        {
            case long or bool: return Py.ToLong(v);
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : null;
            case string s:
                var t = s.Trim().Replace("_", "");
                int b = (int)Py.ToLong(numberBase);
                try { if (t.Length > 0) return Convert.ToInt64(t, b); } catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { }
                return ToFloat(s) is double f ? (long)Math.Truncate(f) : null;
            default: return null;
        }
    }

    private static object? ToFloat(object? v) => v switch
    {
        long or bool or double => Py.ToDouble(v),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static object? Indent(object? v, FilterArgs a)
    {
        var width = a.Get(0, "width", 4L);
        string indent = width is string w ? w : new string(' ', (int)Py.ToLong(width));
        bool first = Py.Truthy(a.Get(1, "first", false)), blank = Py.Truthy(a.Get(2, "blank", false));
        var lines = (Py.Str(v) + "\n").Replace("\r\n", "\n").Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        string result;
        if (blank) result = string.Join("\n" + indent, lines);
        else
        {
            result = lines[0];
            if (lines.Count > 1) result += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indent + l : l));
        }
        return first ? indent + result : result;
    }

    private static object? Round(object? v, FilterArgs a)
    {
        int precision = (int)Py.ToLong(a.Get(0, "precision", 0L));
        var method = Py.Str(a.Get(1, "method", "common"));
        double x = Py.ToDouble(v), scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateException("method must be common, ceil or floor"),
        };
    }

    private static string Title(string s)
    {
        var sb = new StringBuilder();
        foreach (var part in TitleSplitRegex().Split(s))
            if (part.Length > 0) sb.Append(char.ToUpperInvariant(part[0])).Append(part[1..].ToLowerInvariant());
        return sb.ToString();
    }

    private static object? Truncate(object? v, FilterArgs a)
    {
        var s = Py.Str(v);
        int length = (int)Py.ToLong(a.Get(0, "length", 255L));
        bool killwords = Py.Truthy(a.Get(1, "killwords", false));
        var end = Py.Str(a.Get(2, "end", "..."));
        int leeway = (int)Py.ToLong(a.Get(3, "leeway", 5L));
        if (s.Length <= length + leeway) return s;
        if (killwords) return s[..Math.Max(0, length - end.Length)] + end;
        var cut = s[..Math.Max(0, length - end.Length)];
        int space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + end;
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex TitleSplitRegex();
}
