namespace InferenceServer.Templates.Runtime;

/// <summary>Filters over sequences: select/reject(attr), map, sort, dictsort, unique, min/max.</summary>
internal static partial class Filters
{
    /// <summary>jinja2's attribute getter: dotted path, integer parts as indexes, item-then-attribute lookup.</summary>
    private static Func<object?, object?> AttrGetter(object? attribute, object? fallback = null, bool hasFallback = false)
    {
        if (attribute is not string path) return x => Py.GetItem(x, attribute);
        var parts = path.Split('.').Select(p => long.TryParse(p, out var i) ? (object)i : p).ToArray();
        return x =>
        {
            foreach (var p in parts) x = Py.GetItem(x, p);
            return hasFallback && x is Undefined ? fallback : x;
        };
    }

    private static Func<object?, object?> SortKey(object? attribute, bool caseSensitive)
    {
        var get = attribute is null ? (x => x) : AttrGetter(attribute);
        return caseSensitive ? get : x => get(x) is string s ? s.ToLowerInvariant() : get(x);
    }

    private static List<object?> SortBy(IEnumerable<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select(x => (Key: key(x), Item: x)).ToList();
        var comparer = Comparer<object?>.Create((p, q) => Py.Compare(p, q, "<"));
        var sorted = reverse
            ? keyed.OrderByDescending(p => p.Key, comparer)
            : keyed.OrderBy(p => p.Key, comparer);
        return sorted.Select(p => p.Item).ToList();
    }

    private static object? Sort(object? v, FilterArgs a)
    {
        bool reverse = Py.Truthy(a.Get(0, "reverse", false));
        bool caseSensitive = Py.Truthy(a.Get(1, "case_sensitive", false));
        return SortBy(Py.Iterate(v), SortKey(a.Get(2, "attribute", null), caseSensitive), reverse);
    }

    private static object? DictSort(object? v, FilterArgs a)
    {
        if (v is not PyDict d) throw new TemplateException("You can only sort by either \"key\" or \"value\"");
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        var by = Py.Str(a.Get(1, "by", "key"));
        bool reverse = Py.Truthy(a.Get(2, "reverse", false));
        int pos = by == "key" ? 0 : by == "value" ? 1 : throw new TemplateException("You can only sort by either \"key\" or \"value\"");
        var pairs = d.Select(p => (object?)new PyTuple([p.Key, p.Value]));
        return SortBy(pairs, x => ((PyTuple)x!)[pos] is string s && !caseSensitive ? s.ToLowerInvariant() : ((PyTuple)x!)[pos], reverse);
    }

    private static object? Unique(object? v, FilterArgs a)
    {
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        var key = SortKey(a.Get(1, "attribute", null), caseSensitive);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Py.Iterate(v))
        {
            var k = key(item);
            if (seen.Exists(s => Py.Equal(s, k))) continue;
            seen.Add(k);
            result.Add(item);
        }
        return PyIterator.Generator(result);
    }

    private static object? MinMax(object? v, FilterArgs a, int sign)
    {
        var key = SortKey(a.Get(1, "attribute", null), Py.Truthy(a.Get(0, "case_sensitive", false)));
        var items = Py.ToList(v);
        if (items.Count == 0) return new Undefined($"No aggregated item, sequence was empty.");
        var best = items[0];
        foreach (var item in items.Skip(1))
            if (Py.Compare(key(item), key(best), "<") * sign > 0) best = item;
        return best;
    }

    private static object? Map(object? v, FilterArgs a)
    {
        if (!Py.Truthy(v)) return PyIterator.Generator([]);
        if (a.Positional.Count == 0 && a.Named is not null && a.Named.TryGetValue("attribute", out var attr))
        {
            bool hasDefault = a.Named.TryGetValue("default", out var dflt);
            var get = AttrGetter(attr, dflt, hasDefault);
            return PyIterator.Generator(Py.Iterate(v).Select(get));
        }
        var name = Py.Str(a.Get(0, "name"));
        var rest = new FilterArgs(a.Positional.Skip(1).ToList(), a.Named);
        return PyIterator.Generator(Py.Iterate(v).Select(x => Apply(name, x, rest.Positional, rest.Named)));
    }

    /// <summary>select/reject (test on the item) and selectattr/rejectattr (test on an attribute; truthiness without a test).</summary>
    private static object? Select(object? v, FilterArgs a, bool keep, bool byAttribute)
    {
        var args = a.Positional;
        Func<object?, object?> get = byAttribute ? AttrGetter(args.Count > 0 ? args[0] : throw new TemplateException("Missing parameter for attribute name")) : x => x;
        int testIndex = byAttribute ? 1 : 0;
        Func<object?, bool> test = args.Count > testIndex
            ? x => Tests.Apply(Py.Str(args[testIndex]), x, args.Skip(testIndex + 1).ToList())
            : Py.Truthy;
        return PyIterator.Generator(Py.Truthy(v) ? Py.Iterate(v).Where(x => test(get(x)) == keep) : []);
    }
}
