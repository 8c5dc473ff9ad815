using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Templates.Tests;

/// <summary>The engine's own semantics; every expected value is what jinja2 3.1 renders with Hugging Face's settings.</summary>
public sealed class EngineTests
{
    private static string Render(string source, object? variables = null)
    {
        var names = variables is null ? new Dictionary<string, object?>()
            : JsonSerializer.SerializeToElement(variables).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        return ChatTemplate.Parse(source).Render(names);
    }

    [Theory]
    [InlineData("a\n  {% if true %}\n  x\n  {% endif %}\nb", "a\n  x\nb")]
    [InlineData("a {%- if true -%} x {%- endif -%} b", "axb")]
    [InlineData("{# comment #}\n  {# indented comment #}\nx", "x")]
    [InlineData("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}")]
    [InlineData("line\n", "line")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    public void WhitespaceControl(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{% for i in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
        "103TrueFalse3|212FalseFalse3|321FalseTrue3|")]
    [InlineData("{% for i in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}", "-2,1-3,2-,")]
    [InlineData("{% for i in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for i in range(10) if i is odd %}{{ i }}{% if i > 4 %}{% break %}{% endif %}{% endfor %}", "135")]
    [InlineData("{% for i in range(6) %}{% if i % 2 == 0 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "135")]
    [InlineData("{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}/{{ x }}", "123/1")]
    [InlineData("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    public void Loops(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', punct='?') }}", "Hi Ann! Hi Bo?")]
    [InlineData("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inner{% endcall %}", "[inner]")]
    [InlineData("{% filter upper %}shout {{ 'this' }}{% endfilter %}", "SHOUT THIS")]
    [InlineData("{% set block %}  captured  {% endset %}[{{ block }}]", "[  captured  ]")]
    public void MacrosCallsAndBlocks(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 1.5 }} {{ 'ab' * 3 }} {{ [1] + [2] }}",
        "3 -4 1 2 3.5 1024 2.5 ababab [1, 2]")]
    [InlineData("{{ none }} {{ true }} {{ 1.0 }} {{ 1e20 }} {{ 0.0001 }} {{ [1, 'a', none] }} {{ {'k': 'v'} }}",
        "None True 1.0 1e+20 0.0001 [1, 'a', None] {'k': 'v'}")]
    [InlineData("{{ missing }}|{{ missing is defined }}|{{ (missing or 'x') }}|{{ missing | default('d') }}|{{ missing|length }}", "|False|x|d|0")]
    [InlineData("{{ 'a' if false }}|{{ 'yes' if 1 in [1, 2] else 'no' }}|{{ 'b' not in 'abc' }}", "|yes|False")]
    [InlineData("{{ [1, 2, 3][1:] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[1:4] }} {{ [1, 2, 3][-1] }}", "[2, 3] fedcba bcd 3")]
    [InlineData("{{ '{} and {}'.format(1, 'two') }} {{ {'a': 1}.get('b', 'none') }} {{ {'a': 1}.items() | list }}", "1 and two none [('a', 1)]")]
    [InlineData("{{ '  x  ' | trim }}|{{ 'a,b,,c'.split(',') }}|{{ 'xxhixx'.strip('x') }}|{{ 'Hello World'.lower().startswith('hello') }}|{{ 'a-b-c'.rsplit('-', 1) }}",
        "x|['a', 'b', '', 'c']|hi|True|['a-b', 'c']")]
    public void Expressions(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ {'a': 'é', 'b': [1, 2.5, true, none]} | tojson }}", "{\"a\": \"é\", \"b\": [1, 2.5, true, null]}")]
    [InlineData("{{ {'a': 1, 'b': [1, 2]} | tojson(indent=2) }}", "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}")]
    [InlineData("{{ [3, 1, 2] | sort | join(',') }}|{{ ['b', 'A', 'a'] | unique | list }}|{{ [1, 2, 3] | reverse | list }}|{{ {'b': 1, 'a': 2} | dictsort }}",
        "1,2,3|['b', 'A']|[3, 2, 1]|[('a', 2), ('b', 1)]")]
    [InlineData("{{ 'hello world' | title }} {{ 'hello WORLD' | capitalize }} {{ 'one two  three' | wordcount }} {{ 3.14159 | round(2) }} {{ -3 | abs }} {{ '42' | int + 1 }} {{ 'x' | float }}",
        "Hello World Hello world 3 3.14 3 43 0.0")]
    [InlineData("{{ 'line1\nline2\n\nline3' | indent(2) }}|{{ 'a\nb' | indent(4, first=true) }}", "line1\n  line2\n\n  line3|    a\n    b")]
    [InlineData("{{ dict(a=1, b=2) | tojson }} {{ range(3) | list }} {{ range(1, 10, 3) | list }}", "{\"a\": 1, \"b\": 2} [0, 1, 2] [1, 4, 7]")]
    public void Filters(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void SelectAndMapOverObjects()
    {
        var users = new[] { new { name = "ann", admin = true }, new { name = "bo", admin = false }, new { name = "cy", admin = true } };
        Assert.Equal("ann, cy|1", Render(
            "{{ users | selectattr('admin') | map(attribute='name') | join(', ') }}|{{ users | rejectattr('admin') | list | length }}",
            new { users }));
    }

    [Theory]
    [InlineData("{{ [1, 2].append(3) }}", "access to attribute 'append' of 'list' object is unsafe.", 1)]
    [InlineData("{{ 'x' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'", 1)]
    [InlineData("{{ missing.attr }}", "'missing' is undefined", 1)]
    [InlineData("first\n{% if true %}\n{{ undefined_thing.x }}\n{% endif %}", "'undefined_thing' is undefined", 3)]
    [InlineData("{{ 1 < 'a' }}", "'<' not supported between instances of 'int' and 'str'", 1)]
    [InlineData("a\nb\n{{ raise_exception('Only user and assistant roles are supported!') }}", "Only user and assistant roles are supported!", 3)]
    public void RenderErrorsNameTheLine(string source, string reason, int line)
    {
        var template = ChatTemplate.Parse(source);
        var e = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?>()));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(line, e.Line);
        Assert.Contains($"template line {line}", e.Message);
    }

    [Theory]
    [InlineData("ok\n{% if x %}\n{% endfor %}", 3)]
    [InlineData("{{ 1 +", 1)]
    [InlineData("x\n\n{{ v | no_such_filter }}", 3)]
    [InlineData("{% generation %}x{% endgeneration %}", 1)]
    public void ParseErrorsNameTheLine(string source, int line)
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void RunawayMacroRecursionIsAnErrorNotACrash()
    {
        var template = ChatTemplate.Parse("{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(0) }}");
        var e = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?>()));
        Assert.Equal("maximum recursion depth exceeded", e.Reason);
        Assert.Equal("ok", ChatTemplate.Parse("{% macro f(n) %}{{ f(n - 1) if n > 0 else 'ok' }}{% endmacro %}{{ f(150) }}")
            .Render(new Dictionary<string, object?>()));
    }

    [Fact]
    public void UnknownFilterInsideAnIfFailsOnlyWhenReached()
    {
        var template = ChatTemplate.Parse("{% if x %}{{ x | from_json }}{% endif %}done");
        Assert.Equal("done", template.Render(new Dictionary<string, object?> { ["x"] = false }));
        Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?> { ["x"] = "{}" }));
    }

    [Fact]
    public void JsonInputKeepsKeyOrderAndNumberKinds()
    {
        var node = JsonNode.Parse("""{"z": 1, "a": 2.0, "m": [true, null, "é"]}""");
        var template = ChatTemplate.Parse("{{ v | tojson }}|{% for k in v %}{{ k }}{% endfor %}|{{ v.z is integer }}{{ v.a is float }}");
        var expected = """{"z": 1, "a": 2.0, "m": [true, null, "é"]}|zam|TrueTrue""";
        Assert.Equal(expected, template.Render(new Dictionary<string, object?> { ["v"] = node }));
        Assert.Equal(expected, template.Render(new Dictionary<string, object?> { ["v"] = JsonDocument.Parse(node!.ToJsonString()).RootElement }));
    }

    [Fact]
    public void DotNetInputIsConverted()
    {
        var messages = new List<Dictionary<string, object?>>
        {
            new() { ["role"] = "user", ["content"] = "hi" },
            new() { ["role"] = "assistant", ["content"] = null },
        };
        var template = ChatTemplate.Parse("{% for m in messages %}{{ m.role }}:{{ m.content is none }};{% endfor %}{{ n + 1 }}{{ f }}");
        Assert.Equal("user:False;assistant:True;433.5",
            template.Render(new Dictionary<string, object?> { ["messages"] = messages, ["n"] = 42, ["f"] = 3.5f }));
    }

    [Fact]
    public void StrftimeNowReadsTheTimeProvider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2024, 7, 4, 15, 30, 0, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var template = ChatTemplate.Parse("{{ strftime_now('%d %B %Y, %-d %b %H:%M') }}");
        Assert.Equal("04 July 2024, 4 Jul 15:30", template.Render(new Dictionary<string, object?>(), time));
    }
}
