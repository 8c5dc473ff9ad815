using System.Globalization;
using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>The global functions chat templates call: range, namespace, dict, raise_exception, strftime_now.</summary>
internal static class Globals
{
    public static Scope Create(TimeProvider time)
    {
        var scope = new Scope(null);
        scope.Set("range", new BuiltinFunction("range", (args, _) => Range(args)));
        scope.Set("namespace", new BuiltinFunction("namespace", (args, kwargs) => MakeNamespace(args, kwargs)));
        scope.Set("dict", new BuiltinFunction("dict", (args, kwargs) => MakeDict(args, kwargs)));
        scope.Set("raise_exception", new BuiltinFunction("raise_exception", (args, _) =>
            throw new TemplateException(args.Count > 0 ? Py.Str(args[0]) : "raise_exception called", isRaisedByTemplate: true)));
        scope.Set("strftime_now", new BuiltinFunction("strftime_now", (args, _) =>
            Strftime(time.GetLocalNow().DateTime, Py.Str(args.Count > 0 ? args[0] : ""))));
        return scope;
    }

    private static List<object?> Range(List<object?> args)
    {
        long start = 0, stop, step = 1;
        if (args.Count == 1) stop = Py.ToLong(args[0]);
        else if (args.Count is 2 or 3)
        {
            start = Py.ToLong(args[0]);
            stop = Py.ToLong(args[1]);
            if (args.Count == 3) step = Py.ToLong(args[2]);
        }
        else throw new TemplateException($"range expected 1 to 3 arguments, got {args.Count}");
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
            if (result.Count > 100_000) throw new TemplateException("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        return result;
    }

    private static Namespace MakeNamespace(List<object?> args, Dictionary<string, object?>? kwargs)
    {
        var ns = new Namespace();
        foreach (var a in args)
            if (a is PyDict d) foreach (var (k, v) in d) ns.Attributes[k] = v;
        if (kwargs is not null) foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
        return ns;
    }

    private static PyDict MakeDict(List<object?> args, Dictionary<string, object?>? kwargs)
    {
        var d = new PyDict();
        if (args.Count > 0 && args[0] is PyDict source) foreach (var (k, v) in source) d[k] = v;
        else if (args.Count > 0)
            foreach (var pair in Py.Iterate(args[0]))
                if (Py.ToList(pair) is [var k, var v]) d[k!] = v;
        if (kwargs is not null) foreach (var (k, v) in kwargs) d[k] = v;
        return d;
    }

    /// <summary>C <c>strftime</c> as Python calls it on Linux, for the directives templates use (incl. glibc's <c>%-d</c>).</summary>
    internal static string Strftime(DateTime t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            bool noPad = format[i + 1] == '-' && i + 2 < format.Length;
            if (noPad) i++;
            char c = format[++i];
            string Num(int v, int width) => noPad ? v.ToString(inv) : v.ToString(inv).PadLeft(width, '0');
            sb.Append(c switch
            {
                'Y' => t.Year.ToString(inv),
                'y' => Num(t.Year % 100, 2),
                'm' => Num(t.Month, 2),
                'd' => Num(t.Day, 2),
                'e' => t.Day.ToString(inv).PadLeft(2),
                'H' => Num(t.Hour, 2),
                'I' => Num(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2),
                'M' => Num(t.Minute, 2),
                'S' => Num(t.Second, 2),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'B' => t.ToString("MMMM", inv),
                'b' or 'h' => t.ToString("MMM", inv),
                'A' => t.ToString("dddd", inv),
                'a' => t.ToString("ddd", inv),
                'j' => Num(t.DayOfYear, 3),
                'F' => t.ToString("yyyy-MM-dd", inv),
                'T' => t.ToString("HH:mm:ss", inv),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }
}
