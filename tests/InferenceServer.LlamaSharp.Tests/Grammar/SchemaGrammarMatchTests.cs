using System.Text;
using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.ModelGeneration;
using LLama.Native;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// Converted schemas run through llama.cpp's own grammar engine: a text is walked through the grammar one byte token at
/// a time (the synthetic vocabulary has all 256), so each case proves what the grammar admits, not how it is spelt.
/// </summary>
[Collection("llama")]
public sealed class SchemaGrammarMatchTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private bool Matches(string gbnf, string text)
    {
        using var grammar = GrammarSampler.Create(model.Weights.NativeHandle, gbnf);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            if (!grammar.TryAccept((LLamaToken)(SyntheticVocabulary.FirstByteId + b)))
                return false;
        return grammar.IsComplete;
    }

    private bool MatchesBytes(string gbnf, byte[] bytes)
    {
        using var grammar = GrammarSampler.Create(model.Weights.NativeHandle, gbnf);
        foreach (byte b in bytes)
            if (!grammar.TryAccept((LLamaToken)(SyntheticVocabulary.FirstByteId + b)))
                return false;
        return grammar.IsComplete;
    }

    [Theory]
    [InlineData("FEA59682")]
    [InlineData("F8818181")]
    [InlineData("C1BF")]
    [InlineData("EDA080")]
    [InlineData("80")]
    public void Strings_take_only_well_formed_utf8(string badHex)
    {
        string gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""{"type":"string","maxLength":20}""").RootElement, strict: false);
        byte[] Quoted(byte[] inner) => [(byte)'"', (byte)'a', .. inner, (byte)'"'];

        Assert.True(MatchesBytes(gbnf, Quoted(Convert.FromHexString("E282ACF09F9880"))));
        Assert.False(MatchesBytes(gbnf, Quoted(Convert.FromHexString(badHex))));
    }

    [Fact]
    public void Characters_past_the_bmp_in_constants_are_written_as_themselves()
    {
        Check("""{"enum":["😀","a𝄞b",{"k":"🎉"}]}""", ["\"😀\"", "\"a𝄞b\"", "{\"k\":\"🎉\"}"], ["\"\\uD83D\\uDE00\"", "\"😢\""]);
        Check("""{"const":"\uD834\uDD1E"}""", ["\"𝄞\""], ["\"x\""]);
        string gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""{"type":"object","properties":{"m":{"enum":["😀"]}}}""").RootElement);
        Assert.Null(GrammarSampler.Check(model.Weights.NativeHandle, gbnf));
        // A literal backslash before "u" is text, not an escape the check should judge.
        Assert.Null(GrammarSampler.Check(model.Weights.NativeHandle, "root ::= \"\\\\uD83D\""));
    }

    private void Check(string schema, string[] accepted, string[] rejected, bool strict = false)
    {
        string gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse(schema).RootElement, strict);
        foreach (string text in accepted)
            Assert.True(Matches(gbnf, text), $"{schema} should admit {text}\n{gbnf}");
        foreach (string text in rejected)
            Assert.False(Matches(gbnf, text), $"{schema} should refuse {text}\n{gbnf}");
    }

    [Fact]
    public void Scalar_types_and_type_lists() => Check("""{"type":["integer","boolean","null"]}""",
        ["0", "-12", "1234567890123456", "true", "false", "null"],
        ["01", "1.5", "\"x\"", "12345678901234567", " 1", "1 "]);

    [Fact]
    public void Numbers() => Check("""{"type":"number"}""",
        ["0", "-1.25", "3e10", "2.5E-3", "10"], ["1.", ".5", "+1", "0x1", "1e"]);

    [Fact]
    public void Strings_with_escapes_and_lengths() => Check("""{"type":"string","minLength":2,"maxLength":3}""",
        ["\"ab\"", "\"a\\\"b\"", "\"\\u00e9x\"", "\"éèà\""], ["\"a\"", "\"abcd\"", "\"a\nb\"", "\"\\ud800x\"", "\"\\qa\""]);

    [Fact]
    public void Objects_list_required_and_optional_properties_in_order() => Check(
        """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"},"c":{"type":"null"}},"required":["b"]}""",
        ["{\"b\":true}", "{\"a\":1,\"b\":false}", "{ \"a\": 1, \"b\": true, \"c\": null }", "{\"b\":true,\"c\":null}"],
        ["{}", "{\"a\":1}", "{\"b\":true,\"a\":1}", "{\"b\":true,\"d\":1}", "{\"b\":1}", "{\"b\":true,}", "{  \"b\":true}"]);

    [Fact]
    public void Additional_properties_as_a_schema_exclude_the_listed_keys() => Check(
        """{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":{"type":"string","maxLength":2}}""",
        ["{}", "{\"id\":1}", "{\"x\":\"ab\"}", "{\"id\":1,\"x\":\"a\",\"idx\":\"b\"}", "{\"i\":\"a\"}"],
        ["{\"x\":1}", "{\"x\":\"abc\"}", "{\"id\":1,\"id\":\"a\"}", "{\"x\":\"a\",\"id\":\"b\"}"]);

    [Fact]
    public void An_object_without_properties_takes_any_members() => Check("""{"type":"object"}""",
        ["{}", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"], ["[]", "{\"a\"}", "{1:2}"]);

    [Fact]
    public void Enum_and_const() => Check("""{"anyOf":[{"enum":["red","green",3,null]},{"const":{"k":[true]}}]}""",
        ["\"red\"", "3", "null", "{\"k\":[true]}"], ["\"blue\"", "\"Red\"", "4", "{\"k\":[false]}"]);

    [Fact]
    public void One_of_and_all_of_objects() => Check(
        """{"allOf":[{"type":"object","properties":{"a":{"oneOf":[{"type":"string","maxLength":1},{"type":"integer"}]}},"required":["a"]},{"properties":{"b":{"type":"boolean"}}}]}""",
        ["{\"a\":\"x\"}", "{\"a\":5,\"b\":true}"], ["{\"b\":true}", "{\"a\":true}", "{\"a\":\"xy\"}"]);

    [Fact]
    public void Recursive_refs() => Check(
        """{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}},"required":["v","next"]}}}""",
        ["{\"v\":1,\"next\":null}", "{\"v\":1,\"next\":{\"v\":2,\"next\":{\"v\":3,\"next\":null}}}"],
        ["{\"v\":1}", "{\"v\":1,\"next\":{\"v\":2}}"]);

    [Fact]
    public void Arrays_with_items_and_bounds() => Check("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}""",
        ["[1]", "[1,2,3]", "[ 1, 2 ]"], ["[]", "[1,2,3,4]", "[1,]", "[\"a\"]"]);

    [Fact]
    public void Prefix_items_then_no_more() => Check(
        """{"type":"array","prefixItems":[{"type":"string","maxLength":1},{"type":"boolean"}],"items":false,"minItems":1}""",
        ["[\"a\"]", "[\"a\",true]"], ["[]", "[true]", "[\"a\",true,1]"]);

    [Fact]
    public void Prefix_items_then_more_items() => Check(
        """{"type":"array","prefixItems":[{"type":"null"}],"items":{"type":"boolean"},"maxItems":3}""",
        ["[]", "[null]", "[null,true,false]"], ["[true]", "[null,true,false,true]", "[null,null]"]);

    [Fact]
    public void Integer_ranges() => Check("""{"type":"integer","minimum":-15,"exclusiveMaximum":120}""",
        ["-15", "-9", "0", "7", "19", "99", "100", "119"], ["-16", "-150", "120", "200", "1000", "-0"]);

    [Fact]
    public void Integer_lower_bound_only() => Check("""{"type":"integer","minimum":37}""",
        ["37", "99", "100", "123456"], ["36", "9", "0", "-40"]);

    [Fact]
    public void Patterns_anchored_and_not() => Check("""{"type":"object","properties":{"a":{"type":"string","pattern":"^[A-Z]{2}-\\d{3}(x|yz)?$"},"b":{"type":"string","pattern":"ab+"}},"required":["a","b"]}""",
        ["{\"a\":\"AB-123\",\"b\":\"ab\"}", "{\"a\":\"QQ-000yz\",\"b\":\"xxabbbq\"}"],
        ["{\"a\":\"AB-12\",\"b\":\"ab\"}", "{\"a\":\"ab-123\",\"b\":\"ab\"}", "{\"a\":\"AB-123\",\"b\":\"ba\"}", "{\"a\":\"AB-123x1\",\"b\":\"ab\"}"]);

    [Fact]
    public void Patterns_with_characters_outside_the_bmp_literal_and_escaped() => Check(
        """{"type":"array","prefixItems":[{"type":"string","pattern":"^😀+$"},{"type":"string","pattern":"^[😀-😂]\\uD83D\\uDE03$"}],"items":false}""",
        ["[\"😀😀\",\"😁😃\"]"], ["[\"😃\",\"😁😃\"]", "[\"😀\",\"😃😃\"]", "[\"\uFFFD\",\"😁😃\"]"]);

    [Fact]
    public void A_pattern_ending_in_an_escaped_backslash_keeps_its_end_anchor() => Check(
        """{"type":"string","pattern":"^a\\\\$"}""", ["\"a\\\\\""], ["\"a\\\\b\"", "\"a\""]);

    [Theory]
    [InlineData("date", "2024-02-28", "2024-02-30")]
    [InlineData("date", "1999-12-31", "1999-13-01")]
    [InlineData("time", "23:59:59.123Z", "24:00:00Z")]
    [InlineData("time", "08:15:00+05:30", "08:15:00")]
    [InlineData("date-time", "2023-04-30T10:00:00Z", "2023-04-31T10:00:00Z")]
    [InlineData("uuid", "123e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-42d3-a456-42661417400")]
    [InlineData("email", "first.last@example.com", "first@last@example.com")]
    public void Formats(string format, string valid, string invalid) =>
        Check($$"""{"type":"string","format":"{{format}}"}""", [$"\"{valid}\""], [$"\"{invalid}\""]);

    [Fact]
    public void Json_object_mode_admits_one_object_and_nothing_after_it()
    {
        string gbnf = JsonSchemaGrammar.AnyObject();
        Assert.True(Matches(gbnf, "{\"a\":{\"b\":[1,2.5,\"x\",true,null]}}"));
        Assert.False(Matches(gbnf, "{\"a\":1} "));
        Assert.False(Matches(gbnf, "[1]"));
        Assert.False(Matches(gbnf, "{\"a\":1"));
    }

    [Fact]
    public void A_grammar_llama_cpp_cannot_parse_is_reported_with_its_message()
    {
        string? error = GrammarSampler.Check(model.Weights.NativeHandle, "root ::= \"a\" undefined-rule");
        Assert.NotNull(error);
        Assert.Contains("undefined-rule", error);
        Assert.Null(GrammarSampler.Check(model.Weights.NativeHandle, "root ::= [a-z]+"));
    }
}
