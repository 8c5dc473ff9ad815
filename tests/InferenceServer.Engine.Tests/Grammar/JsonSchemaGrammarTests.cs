using System.Text.Json;
using InferenceServer.Engine.Grammar;

namespace InferenceServer.Engine.Tests.Grammar;

/// <summary>
/// The converter's refusals and the shape of what it writes. What the grammars admit is proven through llama.cpp in
/// InferenceServer.LlamaSharp.Tests (SchemaGrammarMatchTests).
/// </summary>
public sealed class JsonSchemaGrammarTests
{
    private static string Convert(string schema, bool strict = false) =>
        JsonSchemaGrammar.FromSchema(JsonDocument.Parse(schema).RootElement, strict);

    [Theory]
    [InlineData("""{"type":"array","uniqueItems":true}""", "uniqueItems")]
    [InlineData("""{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","contentEncoding":"base64"}}}}""", "properties.tags.items.contentEncoding")]
    [InlineData("""{"anyOf":[{"type":"string"},{"type":"number","multipleOf":2}]}""", "anyOf[1].multipleOf")]
    [InlineData("""{"$defs":{"a":{"type":"object","patternProperties":{"x":{}}}},"$ref":"#/$defs/a"}""", "$defs.a.patternProperties")]
    [InlineData("""{"type":"number","minimum":0}""", "minimum")]
    [InlineData("""{"type":"string","format":"hostname"}""", "format")]
    [InlineData("""{"type":"string","pattern":"^(?=a)b$"}""", "pattern")]
    [InlineData("""{"type":"string","pattern":"^(a)\\1$"}""", "pattern")]
    [InlineData("""{"type":"string","pattern":"^a","maxLength":3}""", "maxLength")]
    [InlineData("""{"type":"strin"}""", "type")]
    [InlineData("""{"$ref":"https://example.com/schema.json"}""", "$ref")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref")]
    [InlineData("""{"type":"object","anyOf":[{"required":["a"]}],"properties":{"a":{}}}""", "type")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "allOf[0].type")]
    [InlineData("""{"type":"object","properties":{"a":{}},"additionalProperties":false,"required":["b"]}""", "required")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":4}""", "minimum")]
    [InlineData("""{"type":"integer","maximum":-9999999999999999999}""", "maximum")]
    [InlineData("""{"type":"integer","minimum":1e20}""", "minimum")]
    [InlineData("""{"type":"integer","exclusiveMaximum":-1e19}""", "exclusiveMaximum")]
    [InlineData("""{"type":"integer","exclusiveMinimum":3,"maximum":3}""", "exclusiveMinimum")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "items")]
    [InlineData("""{"type":"array","minItems":-1}""", "minItems")]
    [InlineData("""{"properties":{"a":false},"required":["a"]}""", "properties.a")]
    [InlineData("""{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"type":"object","properties":{"x":{"$ref":"#/$defs/a"}}}""", "$defs.b")]
    public void Unsupported_or_unsatisfiable_keywords_are_refused_by_path(string schema, string path)
    {
        var ex = Assert.Throws<UnsupportedSchemaException>(() => Convert(schema));
        Assert.Equal(path, ex.Path);
        Assert.Contains($"'{path}'", ex.Message);
    }

    [Fact]
    public void Strict_mode_takes_one_of_only_over_distinct_json_types()
    {
        Assert.Contains("root-value ::= boolean | root-1 | root-2\n",
            Convert("""{"oneOf":[{"type":"boolean"},{"enum":["a",null]},{"type":"array","maxItems":1}]}""", strict: true));
        const string schema = """{"oneOf":[{"type":"integer"},{"type":"number"}]}""";
        Assert.Contains("root-value ::= integer | number\n", Convert(schema));
        var ex = Assert.Throws<UnsupportedSchemaException>(() => Convert(schema, strict: true));
        Assert.Equal("oneOf", ex.Path);
    }

    [Fact]
    public void Annotations_are_accepted_and_change_nothing()
    {
        string plain = Convert("""{"type":"object","properties":{"a":{"type":"integer"}}}""");
        string annotated = Convert("""{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"d","type":"object","properties":{"a":{"type":"integer","examples":[1],"default":0,"deprecated":false,"readOnly":true,"$comment":"c"}}}""");
        Assert.Equal(plain, annotated);
    }

    [Fact]
    public void The_root_rule_comes_first_and_whitespace_is_one_optional_space()
    {
        string gbnf = Convert("""{"type":"object","properties":{"a":{"type":"boolean"}},"required":["a"]}""");
        Assert.StartsWith("root ::= ", gbnf);
        Assert.Contains("ws ::= \" \"?\n", gbnf);
        Assert.Contains("\"\\\"a\\\"\" \":\" ws boolean", gbnf);
    }

    [Fact]
    public void Identical_subschemas_share_one_rule()
    {
        string gbnf = Convert("""{"type":"object","properties":{"a":{"type":"string","maxLength":4},"b":{"type":"string","maxLength":4}},"required":["a","b"]}""");
        Assert.Single(gbnf.Split('\n'), l => l.Contains("(char (char){0,3})?"));
        Assert.Contains("root-b-kv ::= \"\\\"b\\\"\" \":\" ws root-a\n", gbnf);
    }

    [Fact]
    public void Recursive_refs_become_recursive_rules()
    {
        string gbnf = Convert("""{"$defs":{"tree":{"type":"array","items":{"$ref":"#/$defs/tree"},"maxItems":2}},"$ref":"#/$defs/tree"}""");
        Assert.Contains("root ::= root-tree\n", gbnf);
        Assert.Matches(@"root-tree ::= root-tree-1\n", gbnf);
        Assert.Contains("(root-tree (\",\" ws root-tree)?)?", gbnf);
    }

    [Fact]
    public void Json_object_mode_is_any_object()
    {
        string gbnf = JsonSchemaGrammar.AnyObject();
        Assert.StartsWith("root ::= object\n", gbnf);
        Assert.Contains("value ::= object | array | string | number | boolean | null", gbnf);
    }

    [Theory]
    [InlineData("root ::= \"a\" missing", "rule 'missing' is used but never defined")]
    [InlineData("start ::= \"a\"", "there is no 'root' rule")]
    [InlineData("root ::= (\"a\"", "a '(' is never closed")]
    [InlineData("root ::= \"a", "a string literal opened at offset 9 is never closed")]
    [InlineData("root ::= [a-z]{1,3} x\nx ::= \"#\" # comment with undefined words", null)]
    public void Gbnf_diagnostics_name_common_mistakes(string gbnf, string? expected) =>
        Assert.Equal(expected, GbnfDiagnostics.Explain(gbnf));
}
