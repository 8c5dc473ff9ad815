using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Engine.Tests.Grammar;

/// <summary>
/// Grammars whose alternatives reach the same text in exponentially many ways are refused before llama.cpp expands
/// them; the grammars the server builds, and ordinary hand-written ones, pass.
/// </summary>
public sealed class GbnfAmbiguityTests
{
    private static string Chain(int depth, string tail = "\"x\"") =>
        "root ::= \"<\" a0\n" + string.Concat(Enumerable.Range(0, depth).Select(i => $"a{i} ::= a{i + 1} | ( a{i + 1} )\n")) + $"a{depth} ::= {tail}\n";

    [Fact]
    public void A_doubling_chain_is_refused_past_the_limit_and_named()
    {
        Assert.Null(GbnfAmbiguity.Problem(Chain(10)));
        string? problem = GbnfAmbiguity.Problem(Chain(30));
        Assert.NotNull(problem);
        Assert.Contains("too ambiguous", problem);
        // Nullable items multiply too: each optional copy of a two-way empty match doubles the ways on.
        Assert.NotNull(GbnfAmbiguity.Problem("root ::= " + string.Concat(Enumerable.Repeat("(\"\" | [a-z]? ) ", 40)) + "\"!\""));
    }

    [Theory]
    [InlineData("root ::= [ \\t\\n]{0,20} \"a\"{2,5} ( \"b\" | \"c\" )* [0-9]+ .?")]
    [InlineData("root ::= value\nvalue ::= object | array | \"null\"\nobject ::= \"{\" ( value ( \",\" value )* )? \"}\"\narray ::= \"[\" ( value ( \",\" value )* )? \"]\"")]
    [InlineData("root ::= x |\n  y\nx ::= \"a\" # comment\ny ::= \"b\"")]
    public void Ordinary_grammars_pass(string gbnf) => Assert.Null(GbnfAmbiguity.Problem(gbnf));

    [Fact]
    public void The_servers_own_grammars_pass()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":40},"n":{"type":"integer","minimum":-5,"maximum":900},
             "when":{"type":"string","format":"date-time"},"tags":{"type":"array","items":{"anyOf":[{"type":"string"},{"type":"number"},{"type":"null"}]},"maxItems":30},
             "nested":{"type":"object","additionalProperties":{"type":"boolean"}}},"required":["name","n"]}
            """).RootElement;
        Assert.Null(GbnfAmbiguity.Problem(JsonSchemaGrammar.FromSchema(schema)));
        Assert.Null(GbnfAmbiguity.Problem(JsonSchemaGrammar.AnyObject()));
        ToolDefinition[] tools = [new("get_weather", null, schema), new("book", null, JsonDocument.Parse("""{"type":"object"}""").RootElement)];
        foreach (var format in Enum.GetValues<ToolCallFormat>().Where(f => f != ToolCallFormat.None))
            foreach (var choice in new[] { ToolChoice.Required, ToolChoice.Auto })
                if (ToolCallGrammar.Build(format, tools, choice, true) is { } c)
                {
                    Assert.Null(GbnfAmbiguity.Problem(c.Gbnf));
                    Assert.Null(GbnfAmbiguity.Problem(ReasoningGate.OptionalReasoningFirst(c).Gbnf));
                }
    }

    [Fact]
    public void Text_that_does_not_read_as_gbnf_is_left_to_llama_cpp() =>
        Assert.Null(GbnfAmbiguity.Problem("root ::= \"unterminated"));
}
