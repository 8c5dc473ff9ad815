using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

internal sealed partial class SchemaConverter
{
    private string ArrayRule(JsonElement s, string path, string name)
    {
        string ws = JsonPrimitives.Ws(_rules);
        string sep = $"\",\" {ws}";
        int min = Count(s, path, "minItems") ?? 0;
        int? max = Count(s, path, "maxItems");
        if (max < min)
            throw Error(Join(path, "maxItems"), "is below minItems");
        var items = Get(s, "items");
        if (items is { ValueKind: JsonValueKind.Array })
            throw Error(Join(path, "items"), "is an array (draft-07 tuples); use prefixItems");
        // items: false forbids items after the prefix; absent allows any value there.
        string? item = items switch
        {
            { ValueKind: JsonValueKind.False } => null,
            { } schema => Visit(schema, Join(path, "items"), $"{name}-item"),
            null => JsonPrimitives.Value(_rules),
        };
        var prefix = new List<string>();
        if (Get(s, "prefixItems") is { } prefixItems)
        {
            if (prefixItems.ValueKind != JsonValueKind.Array)
                throw Error(Join(path, "prefixItems"), "must be an array of schemas");
            prefix.AddRange(prefixItems.EnumerateArray().Select((p, i) => Visit(p, $"{Join(path, "prefixItems")}[{i}]", $"{name}-{i}")));
        }

        var choices = Layouts(prefix, item, min, max, sep);
        if (choices.Count == 0)
            throw Error(Join(path, "minItems"), "cannot be met by the allowed items");
        bool canBeEmpty = choices.Remove("");
        string inner = choices.Count == 0 ? "" : $"({string.Join(" | ", choices)}){(canBeEmpty ? "?" : "")} ";
        return _rules.Add(name, $"\"[\" {ws} {inner}{ws} \"]\"");
    }

    // An array holds the first c prefix items, then (only once the prefix is complete) more items: one alternative per
    // c that minItems and maxItems allow.
    private static List<string> Layouts(List<string> prefix, string? item, int min, int? max, string sep)
    {
        var choices = new List<string>();
        for (int c = 0; c <= prefix.Count; c++)
        {
            string head = string.Join($" {sep} ", prefix.Take(c));
            if (c < prefix.Count)
            {
                if (c >= min && (max is null || c <= max))
                    choices.Add(head);
                continue;
            }
            int restMin = Math.Max(0, min - c);
            int? restMax = max - c;
            if (restMax < 0 || (item is null && restMin > 0))
                continue;
            string tail = item is null || restMax == 0 ? "" : Gbnf.Repeat(item, restMin, restMax, sep);
            if (c > 0 && tail.Length > 0)
                tail = restMin > 0 ? $"{sep} {tail}" : $"({sep} {Gbnf.Repeat(item!, 1, restMax, sep)})?";
            choices.Add($"{head} {tail}".Trim());
        }
        return choices;
    }
}
