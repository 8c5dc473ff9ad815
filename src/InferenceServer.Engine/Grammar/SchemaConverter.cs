using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Walks one schema and emits its rules: <c>$ref</c> targets become named rules (recursion allowed), combinators
/// alternatives, typed schemas the rules of their type (objects and arrays in SchemaConverter.Containers.cs).
/// </summary>
internal sealed partial class SchemaConverter(JsonElement root, bool strict, GbnfRules? rules = null)
{
    private static readonly string[] Types = ["string", "number", "integer", "boolean", "null", "object", "array"];
    private readonly GbnfRules _rules = rules ?? new();
    private readonly Dictionary<string, string> _refs = [];

    public string Convert() => _rules.Render(Visit(root, "", "root"));

    /// <summary>
    /// Adds the schema's rules to the shared rule set (names made unique there, so several schemas live in one
    /// grammar) and returns the expression of its root; <paramref name="nameHint"/> must start with <c>root-</c>.
    /// </summary>
    public string ConvertInto(string nameHint) => Visit(root, "", nameHint);

    private string Visit(JsonElement s, string path, string name)
    {
        if (s.ValueKind == JsonValueKind.True)
            return JsonPrimitives.Value(_rules);
        if (s.ValueKind == JsonValueKind.False)
            throw Error(path, "is the schema false, which no value satisfies");
        if (s.ValueKind != JsonValueKind.Object)
            throw Error(path, "must be a schema: an object or a boolean");
        foreach (var p in s.EnumerateObject())
            if (!SchemaKeywords.Enforced.Contains(p.Name) && !SchemaKeywords.Annotations.Contains(p.Name))
                throw Error(Join(path, p.Name), $"uses the keyword '{p.Name}', which this server cannot enforce");

        if (Combinator(s, path, name) is { } combined)
            return combined;
        var types = TypesOf(s, path);
        if (types.Count == 1)
            return Typed(s, path, name, types[0]);
        return _rules.Add(name, string.Join(" | ", types.Select(t => Typed(s, path, $"{name}-{t}", t))));
    }

    // $ref, anyOf, oneOf, allOf, const and enum decide the whole schema; null when none is present.
    private string? Combinator(JsonElement s, string path, string name)
    {
        if (Get(s, "$ref") is { } reference)
        {
            OnlyWith(s, path, "$ref");
            return Ref(reference, Join(path, "$ref"));
        }
        if (Get(s, "anyOf") is { } anyOf)
        {
            OnlyWith(s, path, "anyOf");
            return Alternatives(anyOf, Join(path, "anyOf"), name);
        }
        if (Get(s, "oneOf") is { } oneOf)
        {
            if (strict && !BranchesAreDisjoint(oneOf))
                throw Error(Join(path, "oneOf"), "cannot be enforced exactly in strict mode: its branches may accept the same value (oneOf is enforced as anyOf; branches of distinct JSON types are exact)");
            OnlyWith(s, path, "oneOf");
            return Alternatives(oneOf, Join(path, "oneOf"), name);
        }
        if (Get(s, "allOf") is { } allOf)
            return AllOf(s, allOf, path, name);
        if (Get(s, "const") is { } constant)
            return Constants(s, [constant], path, "const", name);
        if (Get(s, "enum") is { } values)
            return values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0
                ? Constants(s, [.. values.EnumerateArray()], path, "enum", name)
                : throw Error(Join(path, "enum"), "must be a non-empty array");
        return null;
    }

    private string Typed(JsonElement s, string path, string name, string type) => type switch
    {
        "string" => StringRule(s, path, name),
        "integer" => IntegerRule(s, path, name),
        "number" => NumberRule(s, path),
        "boolean" => JsonPrimitives.Boolean(_rules),
        "null" => JsonPrimitives.Null(_rules),
        "object" => ObjectRule(ReadMembers(s, path), path, name),
        "array" => ArrayRule(s, path, name),
        _ => JsonPrimitives.Value(_rules),
    };

    private List<string> TypesOf(JsonElement s, string path)
    {
        if (Get(s, "type") is { } type)
        {
            var names = type.ValueKind == JsonValueKind.String ? [type.GetString()!]
                : type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0 && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String)
                    ? type.EnumerateArray().Select(t => t.GetString()!).Distinct().ToList()
                    : throw Error(Join(path, "type"), "must be a type name or a non-empty array of them");
            foreach (string n in names)
                if (!Types.Contains(n))
                    throw Error(Join(path, "type"), $"names the unknown type '{n}'");
            return names;
        }
        // No type: the keywords present say which kinds they constrain; only those are produced (a subset of what the
        // schema admits, so still valid).
        var inferred = new List<string>();
        if (Has(s, "properties", "additionalProperties", "required"))
            inferred.Add("object");
        if (Has(s, "items", "prefixItems", "minItems", "maxItems"))
            inferred.Add("array");
        if (Has(s, "minLength", "maxLength", "pattern", "format"))
            inferred.Add("string");
        if (Has(s, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
            inferred.Add("integer");
        return inferred.Count > 0 ? inferred : ["any"];
    }

    private string Ref(JsonElement reference, string path)
    {
        string pointer = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : "";
        if (!pointer.StartsWith('#'))
            throw Error(path, "must be a local reference such as '#/$defs/name' (remote references are not fetched)");
        if (_refs.TryGetValue(pointer, out var known))
            return known;
        var target = root;
        string targetPath = "";
        foreach (string raw in pointer.Length > 1 ? pointer[2..].Split('/') : [])
        {
            string segment = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty(segment, out var next))
                targetPath = Join(targetPath, segment);
            else if (target.ValueKind == JsonValueKind.Array && int.TryParse(segment, out int i) && i >= 0 && i < target.GetArrayLength())
            {
                next = target[i];
                targetPath = $"{targetPath}[{i}]";
            }
            else
                throw Error(path, $"points to '{pointer}', which does not exist in the schema");
            target = next;
        }
        Resolve(target, targetPath); // refuses a chain of $refs that never reaches a schema
        string name = _rules.Reserve("root-" + (pointer.Length > 1 ? pointer[(pointer.LastIndexOf('/') + 1)..] : "ref"));
        _refs[pointer] = name;
        _rules.Define(name, Visit(target, targetPath, name));
        return name;
    }

    // oneOf is exact as anyOf when no value can match two branches; that is certain when the branches admit
    // distinct JSON kinds (integers count as numbers).
    private bool BranchesAreDisjoint(JsonElement branches)
    {
        if (branches.ValueKind != JsonValueKind.Array)
            return false;
        var seen = new HashSet<string>();
        foreach (var branch in branches.EnumerateArray())
            if (KindsOf(branch, 0) is not { } kinds || kinds.Any(k => !seen.Add(k)))
                return false;
        return true;
    }

    private HashSet<string>? KindsOf(JsonElement s, int depth)
    {
        if (s.ValueKind != JsonValueKind.Object || depth > 16)
            return null;
        if (Get(s, "$ref") is { ValueKind: JsonValueKind.String } r && r.GetString()!.StartsWith("#/"))
            return KindsOf(Resolve(s, "").Schema, depth + 1);
        if (Get(s, "anyOf") is { ValueKind: JsonValueKind.Array } any)
        {
            var union = new HashSet<string>();
            foreach (var b in any.EnumerateArray())
                if (KindsOf(b, depth + 1) is { } k)
                    union.UnionWith(k);
                else
                    return null;
            return union;
        }
        var values = Get(s, "const") is { } c ? [c] : Get(s, "enum") is { ValueKind: JsonValueKind.Array } e ? e.EnumerateArray().ToList() : null;
        if (values is not null)
            return [.. values.Select(v => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? "boolean" : v.ValueKind.ToString())];
        if (Get(s, "type") is null)
            return null;
        return [.. TypesOf(s, "").Select(t => t switch
        {
            "integer" or "number" => "Number",
            "string" => "String",
            "object" => "Object",
            "array" => "Array",
            "null" => "Null",
            _ => t,
        })];
    }

    private string Alternatives(JsonElement branches, string path, string name)
    {
        if (branches.ValueKind != JsonValueKind.Array || branches.GetArrayLength() == 0)
            throw Error(path, "must be a non-empty array of schemas");
        var parts = branches.EnumerateArray().Select((b, i) => Visit(b, $"{path}[{i}]", $"{name}-{i}")).ToList();
        return _rules.Add(name, string.Join(" | ", parts));
    }

    private string Constants(JsonElement s, IReadOnlyList<JsonElement> values, string path, string keyword, string name)
    {
        OnlyWith(s, path, keyword, "type");
        var types = Get(s, "type") is null ? null : TypesOf(s, path);
        var kept = values.Where(v => types is null || types.Any(t => Matches(v, t))).ToList();
        if (kept.Count == 0)
            throw Error(Join(path, keyword), "holds no value of the schema's type");
        return _rules.Add(name, string.Join(" | ", kept.Select(Gbnf.JsonLiteral).Distinct()));
    }

    private static bool Matches(JsonElement v, string type) => type switch
    {
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out decimal d) && d == decimal.Truncate(d),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        "object" => v.ValueKind == JsonValueKind.Object,
        _ => v.ValueKind == JsonValueKind.Array,
    };

    // A combinator or reference next to value keywords would need the intersection of both; refused rather than guessed.
    private static void OnlyWith(JsonElement s, string path, string keyword, params string[] allowed)
    {
        foreach (var p in s.EnumerateObject())
            if (p.Name != keyword && !allowed.Contains(p.Name) && p.Name is not ("$defs" or "definitions")
                && !SchemaKeywords.Annotations.Contains(p.Name))
                throw Error(Join(path, p.Name), $"cannot be combined with '{keyword}' in the same schema");
    }

    internal static JsonElement? Get(JsonElement s, string keyword) =>
        s.TryGetProperty(keyword, out var v) ? v : null;

    private static bool Has(JsonElement s, params string[] keywords) => keywords.Any(k => s.TryGetProperty(k, out _));

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    internal static UnsupportedSchemaException Error(string path, string problem) =>
        new(path, $"The schema {(path.Length == 0 ? "root" : $"at '{path}'")} {problem}.");
}
