using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

internal sealed partial class SchemaConverter
{
    private static ObjectMembers ReadMembers(JsonElement s, string path)
    {
        var members = new ObjectMembers { Path = path };
        members.Add(s, path, isFirst: true);
        return members;
    }

    private string AllOf(JsonElement s, JsonElement allOf, string path, string name)
    {
        OnlyWith(s, path, "allOf", "type", "properties", "required", "additionalProperties");
        if (Get(s, "type") is { } type && !(type.ValueKind == JsonValueKind.String && type.GetString() == "object"))
            throw Error(Join(path, "type"), "must be \"object\" next to allOf (allOf is supported for objects only)");
        if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() == 0)
            throw Error(Join(path, "allOf"), "must be a non-empty array of schemas");
        var members = new ObjectMembers { Path = path };
        members.Add(s, path, isFirst: true);
        int i = 0;
        foreach (var part in allOf.EnumerateArray())
        {
            var (target, at) = Resolve(part, $"{Join(path, "allOf")}[{i++}]");
            if (target.ValueKind != JsonValueKind.Object)
                throw Error(at, "must be an object schema");
            foreach (var p in target.EnumerateObject())
                if (p.Name is not ("type" or "properties" or "required" or "additionalProperties" or "$defs" or "definitions")
                    && !SchemaKeywords.Annotations.Contains(p.Name))
                    throw Error(Join(at, p.Name), "is not supported inside allOf (only object schemas merge)");
            if (Get(target, "type") is { } t && !(t.ValueKind == JsonValueKind.String && t.GetString() == "object"))
                throw Error(Join(at, "type"), "must be \"object\" (allOf is supported for objects only)");
            members.Add(target, at, isFirst: false);
        }
        return ObjectRule(members, path, name);
    }

    // Follows $ref chains inside allOf; the members are merged, not referenced.
    private (JsonElement Schema, string Path) Resolve(JsonElement s, string path)
    {
        for (int hops = 0; s.ValueKind == JsonValueKind.Object && Get(s, "$ref") is { } r; hops++)
        {
            if (hops > 32)
                throw Error(path, "is a cycle of $refs that never reaches a schema");
            string pointer = r.GetString() ?? "";
            if (pointer != "#" && !pointer.StartsWith("#/"))
                throw Error(Join(path, "$ref"), "must be a local reference such as '#/$defs/name'");
            var target = root;
            string at = "";
            foreach (string seg in pointer.Length > 1 ? pointer[2..].Split('/') : [])
            {
                string key = seg.Replace("~1", "/").Replace("~0", "~");
                if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty(key, out target))
                    throw Error(Join(path, "$ref"), $"points to '{pointer}', which does not exist in the schema");
                at = Join(at, key);
            }
            (s, path) = (target, at);
        }
        return (s, path);
    }

    private string ObjectRule(ObjectMembers m, string path, string name)
    {
        string ws = JsonPrimitives.Ws(_rules);
        foreach (string key in m.Required.Where(k => m.Properties.All(p => p.Key != k)).Order(StringComparer.Ordinal))
        {
            if (!m.AllowsOthers)
                throw Error(Join(path, "required"), $"lists '{key}', which no property or additionalProperties allows");
            m.Properties.Add((key, m.OthersSchema?.Schema ?? default, m.OthersSchema?.Path ?? path));
        }
        var kvs = m.Properties.Select(p => _rules.Add($"{name}-{p.Key}-kv",
            $"{Gbnf.JsonStringLiteral(p.Key)} \":\" {ws} {(p.Schema.ValueKind == JsonValueKind.Undefined ? JsonPrimitives.Value(_rules) : Visit(p.Schema, p.Path, $"{name}-{p.Key}"))}")).ToList();
        string? other = m.AllowsOthers ? OtherMember(m, name, ws) : null;

        // rest[i]: members i.. after at least one member was written, so each starts with a comma.
        var rest = new string[kvs.Count + 1];
        rest[kvs.Count] = other is null ? "" : $"(\",\" {ws} {other})*";
        for (int i = kvs.Count - 1; i >= 1; i--)
        {
            string item = m.Required.Contains(m.Properties[i].Key) ? $"\",\" {ws} {kvs[i]}" : $"(\",\" {ws} {kvs[i]})?";
            rest[i] = rest[i + 1].Length == 0 ? item : _rules.Add($"{name}-rest", $"{item} {rest[i + 1]}");
        }
        // The first member written is property k when all before it are optional (or another member after all of them).
        var firsts = new List<string>();
        bool allOptional = true;
        for (int k = 0; k < kvs.Count && allOptional; k++)
        {
            firsts.Add($"{kvs[k]} {rest[k + 1]}".Trim());
            allOptional = !m.Required.Contains(m.Properties[k].Key);
        }
        if (allOptional && other is not null)
            firsts.Add($"{other} {rest[kvs.Count]}");
        string body = firsts.Count == 0 ? "" : $"({string.Join(" | ", firsts)}){(allOptional ? "?" : "")} ";
        return _rules.Add(name, $"\"{{\" {ws} {body}{ws} \"}}\"");
    }

    private string OtherMember(ObjectMembers m, string name, string ws)
    {
        string key = m.Properties.Count == 0 ? JsonPrimitives.String(_rules) : NotKeys(m.Properties.Select(p => p.Key).ToList(), name, m.Path);
        string value = m.OthersSchema is { } o ? Visit(o.Schema, o.Path, $"{name}-additional") : JsonPrimitives.Value(_rules);
        return _rules.Add($"{name}-additional-kv", $"{key} \":\" {ws} {value}");
    }

    // A JSON string that is none of the declared keys: a trie of the keys where each node may leave the trie with any
    // other character (then anything may follow) and may end only where no key ends.
    private string NotKeys(List<string> keys, string name, string path)
    {
        if (keys.Any(k => k.Any(c => c is '"' or '\\' or < ' ')))
            throw Error(Join(path, "additionalProperties"), "needs property names without quotes, backslashes or control characters next to extra members");
        var trie = new KeyTrie();
        foreach (string key in keys)
            trie.Add(key);
        return _rules.Add($"{name}-other-key", $"\"\\\"\" {NodeRule(trie, name)} \"\\\"\"");
    }

    private string NodeRule(KeyTrie node, string name)
    {
        string leave = $"([^{string.Concat(node.Children.Keys.Select(c => Gbnf.ClassChar(c)))}\"\\\\\\x00-\\x1F\\x7F] | {JsonPrimitives.Escape(_rules)}) {JsonPrimitives.Char(_rules)}*";
        var alternatives = node.Children.Select(c => $"{Gbnf.Literal(c.Key.ToString())} {NodeRule(c.Value, name)}").Append(leave);
        string body = string.Join(" | ", alternatives);
        return _rules.Add($"{name}-other-key", node.IsKey ? body : $"({body})?");
    }

    private sealed class KeyTrie
    {
        public SortedDictionary<char, KeyTrie> Children { get; } = [];
        public bool IsKey { get; private set; }

        public void Add(string key)
        {
            var node = this;
            foreach (char c in key)
                node = node.Children.TryGetValue(c, out var next) ? next : node.Children[c] = new KeyTrie();
            node.IsKey = true;
        }
    }
}
