using System.Globalization;
using System.Text;

namespace InferenceServer.Templates.Runtime;

/// <summary>
/// Python's <c>json.dumps(value, ensure_ascii=False, indent=…, separators=…, sort_keys=…)</c>, the <c>tojson</c>
/// filter Hugging Face installs: non-ASCII kept, <c>", "</c>/<c>": "</c> separators (<c>","</c> when indented).
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? value, bool ensureAscii, object? indent, bool sortKeys, object? separators)
    {
        string? indentUnit = indent switch
        {
            null => null,
            string s => s,
            _ => new string(' ', (int)Py.ToLong(indent)),
        };
        string itemSep = indentUnit is null ? ", " : ",", keySep = ": ";
        if (separators is List<object?> { Count: 2 } seps)
        {
            itemSep = Py.Str(seps[0]);
            keySep = Py.Str(seps[1]);
        }
        var sb = new StringBuilder();
        new Writer(sb, ensureAscii, indentUnit, itemSep, keySep, sortKeys).Write(value, 0);
        return sb.ToString();
    }

    private sealed class Writer(StringBuilder sb, bool ensureAscii, string? indent, string itemSep, string keySep, bool sortKeys)
    {
        public void Write(object? v, int depth)
        {
            switch (v)
            {
                case null: sb.Append("null"); break;
                case bool b: sb.Append(b ? "true" : "false"); break;
                case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.FloatRepr(d)); break;
                case string s: WriteString(s); break;
                case Markup m: WriteString(m.Text); break;
                case List<object?> list: WriteList(list, depth); break;
                case PyDict dict: WriteDict(dict, depth); break;
                default: throw new TemplateException($"Object of type {Py.TypeName(v)} is not JSON serializable");
            }
        }

        private void NewLine(int depth)
        {
            if (indent is null) return;
            sb.Append('\n');
            for (int i = 0; i < depth; i++) sb.Append(indent);
        }

        private void WriteList(List<object?> list, int depth)
        {
            if (list.Count == 0) { sb.Append("[]"); return; }
            sb.Append('[');
            for (int i = 0; i < list.Count; i++)
            {
                if (i > 0) sb.Append(itemSep);
                NewLine(depth + 1);
                Write(list[i], depth + 1);
            }
            NewLine(depth);
            sb.Append(']');
        }

        private void WriteDict(PyDict dict, int depth)
        {
            if (dict.Count == 0) { sb.Append("{}"); return; }
            IEnumerable<KeyValuePair<object, object?>> pairs = dict;
            if (sortKeys) pairs = pairs.OrderBy(p => p.Key, Comparer<object>.Create((a, b) => Py.Compare(a, b, "<")));
            sb.Append('{');
            bool first = true;
            foreach (var (k, val) in pairs)
            {
                if (!first) sb.Append(itemSep);
                first = false;
                NewLine(depth + 1);
                WriteString(k switch
                {
                    string s => s,
                    bool b => b ? "true" : "false",
                    long or double => Py.Str(k),
                    _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {Py.TypeName(k)}"),
                });
                sb.Append(keySep);
                Write(val, depth + 1);
            }
            NewLine(depth);
            sb.Append('}');
        }

        private void WriteString(string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.Append("\\u").Append(((int)c).ToString("x4"));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
