using System.Globalization;
using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>Python <c>str</c> methods.</summary>
internal static class StringMethods
{
    public static object? Call(string s, string name, List<object?> args, Dictionary<string, object?>? kwargs)
    {
        object? A(int i) => i < args.Count ? args[i] : null;
        string? Chars(int i) => A(i) is string c ? c : A(i) is null ? null : throw new TemplateException($"{name} arg must be None or str");
        return name switch
        {
            "strip" => Strip(s, Chars(0), true, true),
            "lstrip" => Strip(s, Chars(0), true, false),
            "rstrip" => Strip(s, Chars(0), false, true),
            "split" => Split(s, Chars(0) ?? Kw(kwargs, "sep") as string, MaxSplit(A(1) ?? Kw(kwargs, "maxsplit"))),
            "rsplit" => RSplit(s, Chars(0) ?? Kw(kwargs, "sep") as string, MaxSplit(A(1) ?? Kw(kwargs, "maxsplit"))),
            "startswith" => Affix(s, Methods.Arg(args, 0), (x, p) => x.StartsWith(p, StringComparison.Ordinal)),
            "endswith" => Affix(s, Methods.Arg(args, 0), (x, p) => x.EndsWith(p, StringComparison.Ordinal)),
            "replace" => Replace(s, Str(Methods.Arg(args, 0)), Str(Methods.Arg(args, 1)), A(2) is null ? -1 : Py.ToLong(A(2))),
            "upper" => s.ToUpperInvariant(),
            "lower" => s.ToLowerInvariant(),
            "casefold" => s.ToLowerInvariant(),
            "title" => Title(s),
            "capitalize" => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(),
            "swapcase" => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))),
            "format" => Format(s, args, kwargs),
            "find" => (long)s.IndexOf(Str(Methods.Arg(args, 0)), StringComparison.Ordinal),
            "rfind" => (long)s.LastIndexOf(Str(Methods.Arg(args, 0)), StringComparison.Ordinal),
            "index" => s.IndexOf(Str(Methods.Arg(args, 0)), StringComparison.Ordinal) is var i and >= 0 ? (long)i : throw new TemplateException("substring not found"),
            "count" => Count(s, Str(Methods.Arg(args, 0))),
            "join" => string.Join(s, Py.Iterate(Methods.Arg(args, 0)).Select(x => x as string ?? throw new TemplateException($"sequence item: expected str instance, {Py.TypeName(x)} found"))),
            "splitlines" => SplitLines(s),
            "isdigit" or "isnumeric" or "isdecimal" => s.Length > 0 && s.All(char.IsDigit),
            "isalpha" => s.Length > 0 && s.All(char.IsLetter),
            "isalnum" => s.Length > 0 && s.All(char.IsLetterOrDigit),
            "isspace" => s.Length > 0 && s.All(char.IsWhiteSpace),
            "isupper" => s.Any(char.IsLetter) && !s.Any(char.IsLower),
            "islower" => s.Any(char.IsLetter) && !s.Any(char.IsUpper),
            "istitle" => s.Length > 0 && Title(s) == s,
            "removeprefix" => s.StartsWith(Str(A(0)), StringComparison.Ordinal) ? s[Str(A(0)).Length..] : s,
            "removesuffix" => Str(A(0)).Length > 0 && s.EndsWith(Str(A(0)), StringComparison.Ordinal) ? s[..^Str(A(0)).Length] : s,
            "zfill" => s.PadLeft((int)Py.ToLong(A(0))).Replace(' ', '0'),
            "center" => Center(s, (int)Py.ToLong(A(0))),
            "ljust" => s.PadRight((int)Py.ToLong(A(0))),
            "rjust" => s.PadLeft((int)Py.ToLong(A(0))),
            "partition" => Partition(s, Str(A(0)), false),
            "rpartition" => Partition(s, Str(A(0)), true),
            _ => throw new TemplateException($"'str' object has no attribute '{name}'"),
        };
    }

    private static object? Kw(Dictionary<string, object?>? kwargs, string name) =>
        kwargs is not null && kwargs.TryGetValue(name, out var v) ? v : null;

    private static string Str(object? v) => v as string ?? throw new TemplateException($"must be str, not {Py.TypeName(v)}");

    private static int MaxSplit(object? v) => v is null ? -1 : (int)Py.ToLong(v);

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        if (chars is null) return left && right ? s.Trim() : left ? s.TrimStart() : s.TrimEnd();
        var set = chars.ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    private static List<object?> Split(string s, string? sep, int max)
    {
        if (sep is null)
        {
            var parts = new List<object?>();
            int i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (max >= 0 && parts.Count == max) { parts.Add(s[i..].TrimEnd()); break; }
                int start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0) throw new TemplateException("empty separator");
        return [.. (max < 0 ? s.Split(sep) : s.Split(sep, max + 1))];
    }

    private static List<object?> RSplit(string s, string? sep, int max)
    {
        if (max < 0) return Split(s, sep, max);
        if (sep is null) throw new TemplateException("rsplit without a separator and with maxsplit is not supported");
        var result = new List<object?>();
        int end = s.Length;
        while (result.Count < max)
        {
            int at = s.LastIndexOf(sep, end - 1 < 0 ? 0 : end - 1, StringComparison.Ordinal);
            if (end == 0 || at < 0 || at + sep.Length > end) break;
            result.Insert(0, s[(at + sep.Length)..end]);
            end = at;
        }
        result.Insert(0, s[..end]);
        return result;
    }

    private static List<object?> SplitLines(string s)
    {
        var lines = s.Replace("\r\n", "\n").Split('\n').Select(l => (object?)l).ToList();
        if (lines.Count > 0 && (string)lines[^1]! == "") lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static bool Affix(string s, object? arg, Func<string, string, bool> test) => arg switch
    {
        string p => test(s, p),
        List<object?> options => options.Any(o => test(s, Str(o))),
        _ => throw new TemplateException($"startswith first arg must be str or a tuple of str, not {Py.TypeName(arg)}"),
    };

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? Py.Chars(s).Aggregate(replacement, (acc, c) => acc + c + replacement) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static long Count(string s, string sub)
    {
        if (sub.Length == 0) return Py.CodePointCount(s) + 1;
        long n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python's <c>str.title()</c>: a letter after a non-letter is upper-cased, others lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevLetter = false;
        foreach (char c in s)
        {
            sb.Append(prevLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevLetter = char.IsLetter(c);
        }
        return sb.ToString();
    }

    private static string Center(string s, int width)
    {
        if (width <= s.Length) return s;
        int total = width - s.Length;
        int left = total / 2 + (total & width & 1);
        return new string(' ', left) + s + new string(' ', total - left);
    }

    private static PyTuple Partition(string s, string sep, bool fromRight)
    {
        int at = fromRight ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (at < 0) return fromRight ? new PyTuple(["", "", s]) : new PyTuple([s, "", ""]);
        return new PyTuple([s[..at], sep, s[(at + sep.Length)..]]);
    }

    /// <summary><c>str.format</c> with <c>{}</c>, <c>{0}</c> and <c>{name}</c> fields (no format specs).</summary>
    private static string Format(string s, List<object?> args, Dictionary<string, object?>? kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int end = s.IndexOf('}', i);
            if (end < 0) throw new TemplateException("Single '{' encountered in format string");
            var field = s[(i + 1)..end];
            object? value = field.Length == 0 ? Methods.Arg(args, auto++)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? Methods.Arg(args, n)
                : kwargs is not null && kwargs.TryGetValue(field, out var kv) ? kv
                : throw new TemplateException($"KeyError: '{field}'");
            sb.Append(Py.Str(value));
            i = end;
        }
        return sb.ToString();
    }
}
