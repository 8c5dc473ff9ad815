using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Templates.Runtime;

/// <summary>Converts .NET and System.Text.Json input into template values (None, bool, int, float, str, list, dict).</summary>
internal static class ValueConverter
{
    public static object? From(object? value) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int i => (long)i,
        short or byte or sbyte or ushort or uint => Convert.ToInt64(value),
        ulong u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromElement(e),
        JsonNode n => FromNode(n),
        IDictionary dict => FromDictionary(dict),
        IEnumerable<KeyValuePair<string, object?>> pairs => FromPairs(pairs),
        IEnumerable items => items.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"Cannot pass a {value.GetType().Name} to a template."),
    };

    private static PyDict FromDictionary(IDictionary dict)
    {
        var d = new PyDict(dict.Count);
        foreach (DictionaryEntry entry in dict) d[From(entry.Key) ?? "None"] = From(entry.Value);
        return d;
    }

    private static PyDict FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var d = new PyDict();
        foreach (var (k, v) in pairs) d[k] = From(v);
        return d;
    }

    public static object? FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var d = new PyDict();
                foreach (var p in e.EnumerateObject()) d[p.Name] = FromElement(p.Value);
                return d;
            case JsonValueKind.Array:
                var l = new List<object?>(e.GetArrayLength());
                foreach (var item in e.EnumerateArray()) l.Add(FromElement(item));
                return l;
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.Number: return FromNumber(e);
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            default: return null;
        }
    }

    /// <summary>An integer literal stays an int (as Python's json.loads keeps it); anything with a fraction or exponent is a float.</summary>
    private static object FromNumber(JsonElement e)
    {
        var raw = e.GetRawText();
        bool isInteger = raw.IndexOfAny(['.', 'e', 'E']) < 0;
        return isInteger && e.TryGetInt64(out long l) ? (object)l : e.GetDouble();
    }

    private static object? FromNode(JsonNode? n) => n switch
    {
        null => null,
        JsonObject o => FromPairs(o.Select(p => new KeyValuePair<string, object?>(p.Key, FromNode(p.Value)))),
        JsonArray a => a.Select(FromNode).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => FromElement(JsonSerializer.SerializeToElement(v)),
            JsonValueKind.Null => null,
            _ => FromElement(JsonSerializer.SerializeToElement(v)),
        },
        _ => FromElement(JsonSerializer.SerializeToElement(n)),
    };
}
