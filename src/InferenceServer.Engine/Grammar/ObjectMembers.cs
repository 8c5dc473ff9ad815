using System.Text.Json;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// What an object schema allows: its properties in order, which are required, and which other members may follow
/// (none, any value, or values of one schema). <c>allOf</c> members merge into one.
/// </summary>
internal sealed class ObjectMembers
{
    public List<(string Key, JsonElement Schema, string Path)> Properties { get; } = [];
    public HashSet<string> Required { get; } = [];
    /// <summary>False: no other members. True with a null schema: any values. True with a schema: values of it.</summary>
    public bool AllowsOthers { get; set; }
    public (JsonElement Schema, string Path)? OthersSchema { get; set; }
    public string Path { get; init; } = "";

    /// <summary>Reads properties, required and additionalProperties of <paramref name="s"/> into this.</summary>
    public void Add(JsonElement s, string path, bool isFirst)
    {
        if (SchemaConverter.Get(s, "properties") is { } props)
        {
            if (props.ValueKind != JsonValueKind.Object)
                throw SchemaConverter.Error(SchemaConverter.Join(path, "properties"), "must be an object");
            foreach (var p in props.EnumerateObject())
            {
                if (Properties.Any(x => x.Key == p.Name))
                    throw SchemaConverter.Error(SchemaConverter.Join(path, "properties"), $"declares '{p.Name}' a second time (allOf)");
                Properties.Add((p.Name, p.Value, SchemaConverter.Join(SchemaConverter.Join(path, "properties"), p.Name)));
            }
        }
        if (SchemaConverter.Get(s, "required") is { } required)
        {
            if (required.ValueKind != JsonValueKind.Array || required.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                throw SchemaConverter.Error(SchemaConverter.Join(path, "required"), "must be an array of property names");
            Required.UnionWith(required.EnumerateArray().Select(r => r.GetString()!));
        }
        var additional = SchemaConverter.Get(s, "additionalProperties");
        bool hasProperties = SchemaConverter.Get(s, "properties") is not null;
        // Absent: only the listed properties when there are some (this server's default, as OpenAI's strict mode
        // requires), any members when there are none.
        bool allows = additional switch
        {
            null => !hasProperties,
            { ValueKind: JsonValueKind.False } => false,
            _ => true,
        };
        if (additional is { ValueKind: JsonValueKind.Object } schema)
        {
            if (!isFirst)
                throw SchemaConverter.Error(SchemaConverter.Join(path, "additionalProperties"), "may only be false or absent in allOf members");
            OthersSchema = (schema, SchemaConverter.Join(path, "additionalProperties"));
        }
        AllowsOthers = isFirst ? allows : AllowsOthers && allows;
    }
}
