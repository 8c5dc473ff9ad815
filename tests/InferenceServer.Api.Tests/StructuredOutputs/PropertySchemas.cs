namespace InferenceServer.Api.Tests.StructuredOutputs;

/// <summary>
/// Fifty schemas for the structured-output property test: nested objects, arrays, enums, refs (recursive too),
/// patterns and formats. Every string, array and recursion is bounded so a random-weights model must finish well
/// inside the test's max_tokens; minLength stays ≤ 1 because validators count grapheme clusters and the grammar
/// counts code points.
/// </summary>
internal static class PropertySchemas
{
    private const string Name = """{"type":"string","maxLength":8}""";

    public static readonly string[] All =
    [
        """{"type":"boolean"}""",
        """{"type":"integer"}""",
        """{"type":"number"}""",
        """{"type":"null"}""",
        """{"type":"string","maxLength":6}""",
        """{"type":"string","minLength":1,"maxLength":4}""",
        """{"type":["integer","null"]}""",
        """{"type":["string","boolean"],"maxLength":5}""",
        """{"enum":["red","green","blue"]}""",
        """{"enum":[1,"two",null,true,{"k":[3]}]}""",
        """{"const":"fixed"}""",
        """{"type":"integer","minimum":0,"maximum":9}""",
        """{"type":"integer","minimum":-250,"maximum":1300}""",
        """{"type":"integer","exclusiveMinimum":100}""",
        """{"type":"integer","maximum":-7}""",
        """{"type":"string","format":"date"}""",
        """{"type":"string","format":"time"}""",
        """{"type":"string","format":"date-time"}""",
        """{"type":"string","format":"uuid"}""",
        """{"type":"string","format":"email"}""",
        """{"type":"string","pattern":"^[a-z]{1,6}$"}""",
        """{"type":"string","pattern":"^\\d{3}-\\d{4}$"}""",
        """{"type":"string","pattern":"^(cat|dog|bird)s?$"}""",
        """{"type":"string","pattern":"^[A-Z][a-z]{0,5}( [A-Z][a-z]{0,5})?$"}""",
        """{"type":"string","pattern":"^#[0-9a-fA-F]{6}$"}""",
        $$$"""{"type":"object","properties":{"name":{{{Name}}},"age":{"type":"integer","minimum":0,"maximum":130}},"required":["name","age"],"additionalProperties":false}""",
        $$$"""{"type":"object","properties":{"name":{{{Name}}},"nick":{{{Name}}},"active":{"type":"boolean"}},"required":["active"]}""",
        """{"type":"object","properties":{"a":{"type":"null"},"b":{"type":"boolean"}}}""",
        """{"type":"object","properties":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]}},"required":["point"]}""",
        $$$"""{"type":"object","properties":{"user":{"type":"object","properties":{"id":{"type":"string","format":"uuid"},"email":{"type":"string","format":"email"},"profile":{"type":"object","properties":{"bio":{{{Name}}},"born":{"type":"string","format":"date"}},"required":["born"]}},"required":["id","profile"]}},"required":["user"]}""",
        """{"type":"array","items":{"type":"integer"},"maxItems":5}""",
        """{"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":2}""",
        """{"type":"array","items":{"enum":["a","b","c"]},"minItems":1,"maxItems":4}""",
        $$$"""{"type":"array","items":{"type":"object","properties":{"k":{{{Name}}},"v":{"type":"integer"}},"required":["k","v"]},"maxItems":3}""",
        """{"type":"array","items":{"type":"array","items":{"type":"integer","minimum":0,"maximum":9},"maxItems":3},"maxItems":3}""",
        """{"type":"array","prefixItems":[{"type":"string","format":"date"},{"type":"integer"}],"items":false,"minItems":2}""",
        """{"type":"array","prefixItems":[{"const":"head"}],"items":{"type":"null"},"maxItems":3}""",
        $$$"""{"anyOf":[{"type":"integer"},{{{Name}}}]}""",
        """{"oneOf":[{"type":"boolean"},{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}]}""",
        """{"anyOf":[{"type":"null"},{"type":"array","items":{"type":"number"},"maxItems":2}]}""",
        $$$"""{"allOf":[{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]},{"type":"object","properties":{"label":{{{Name}}}},"required":["label"]}]}""",
        $$$$"""{"type":"object","allOf":[{"$ref":"#/$defs/base"},{"properties":{"extra":{"type":"boolean"}}}],"$defs":{"base":{"type":"object","properties":{"kind":{"enum":["x","y"]}},"required":["kind"]}}}""",
        $$$"""{"$defs":{"item":{"type":"object","properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}[0-9]{2}$"},"qty":{"type":"integer","minimum":1,"maximum":99}},"required":["sku","qty"]}},"type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/$defs/item"},"minItems":1,"maxItems":3}},"required":["items"]}""",
        """{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":0,"maximum":99},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"]}},"$ref":"#/$defs/node"}""",
        """{"$defs":{"list":{"anyOf":[{"type":"null"},{"type":"object","properties":{"head":{"type":"boolean"},"tail":{"$ref":"#/$defs/list"}},"required":["head","tail"]}]}},"$ref":"#/$defs/list"}""",
        // Extra members (additionalProperties as a schema) have unbounded names, so they are proven in the grammar tests.
        """{"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":5},"note":{"type":["string","null"],"maxLength":3}},"required":["id","note"],"additionalProperties":false}""",
        $$$"""{"type":"object","properties":{"tags":{"type":"array","items":{{{Name}}},"maxItems":4},"score":{"type":"number"},"meta":{"type":"object","properties":{"created":{"type":"string","format":"date-time"},"source":{"enum":["web","app",null]}},"required":["created","source"]}},"required":["tags","meta"]}""",
        """{"title":"Weather","description":"A report","type":"object","properties":{"city":{"type":"string","maxLength":10,"description":"City"},"unit":{"enum":["c","f"],"default":"c"},"temps":{"type":"array","items":{"type":"integer","minimum":-60,"maximum":60},"minItems":1,"maxItems":7}},"required":["city","unit","temps"],"additionalProperties":false}""",
        """{"type":"object","properties":{"when":{"type":"string","format":"time"},"code":{"type":"string","pattern":"^(A|B)-[0-9]{2,3}$"},"flag":{"type":["boolean","null"]}},"required":["when","code","flag"]}""",
        $$$"""{"type":"object","properties":{"matrix":{"type":"array","prefixItems":[{"type":"array","items":{"type":"integer","minimum":0,"maximum":1},"minItems":2,"maxItems":2},{"type":"array","items":{"type":"integer","minimum":0,"maximum":1},"minItems":2,"maxItems":2}],"items":false,"minItems":2},"name":{{{Name}}}},"required":["matrix"]}""",
    ];
}
