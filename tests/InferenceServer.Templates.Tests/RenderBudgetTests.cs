namespace InferenceServer.Templates.Tests;

/// <summary>A template cannot exhaust memory or time: runaway renders end in a <see cref="TemplateException"/>.</summary>
public sealed class RenderBudgetTests
{
    private static TemplateException Fails(string source) =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source).Render(new Dictionary<string, object?>()));

    [Theory]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}")]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")]
    [InlineData("{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = ns.l + ns.l %}{% endfor %}")]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s.replace('a', ns.s) %}{% endfor %}")]
    [InlineData("{{ 'x' * 1000000000000 }}")]
    [InlineData("{{ [1, 2] * 4000000000 }}")]
    public void RunawaySizeIsRefused(string source) =>
        Assert.Contains("render budget", Fails(source).Message);

    [Fact]
    public void RunawayOutputIsRefused() =>
        Assert.Contains("its output", Fails("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}").Message);

    [Fact]
    public void RunawayStepsAreRefused() =>
        Assert.Contains("steps", Fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}").Message);

    [Fact]
    public void NormalRendersStayWithinBudget()
    {
        string big = new('x', 1_000_000);
        var template = ChatTemplate.Parse("{% for m in messages %}{{ m }}{% endfor %}");
        Assert.Equal(3_000_000, template.Render(new Dictionary<string, object?> { ["messages"] = new[] { big, big, big } }).Length);
        // Each render starts with a fresh count: three renders of ~200,000 steps each pass, as one would.
        var loop = ChatTemplate.Parse("{% for i in range(100000) %}{% if loop.last %}{{ i }}{% endif %}{% endfor %}");
        for (int i = 0; i < 3; i++)
            Assert.Equal("99999", loop.Render(new Dictionary<string, object?>()));
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("not ", "")]
    [InlineData("-", "")]
    public void DeepNestingIsRefusedNotOverflowed(string open, string close)
    {
        string source = "{{ " + string.Concat(Enumerable.Repeat(open, 100_000)) + "1" + string.Concat(Enumerable.Repeat(close, 100_000)) + " }}";
        Assert.Contains("nest", Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source)).Message);
    }

    [Theory]
    [InlineData("{% if true %}", "{% endif %}")]
    [InlineData("{% for i in [1] %}", "{% endfor %}")]
    [InlineData("{% filter upper %}", "{% endfilter %}")]
    public void DeepBlocksAreRefusedNotOverflowed(string open, string close)
    {
        string source = string.Concat(Enumerable.Repeat(open, 50_000)) + "x" + string.Concat(Enumerable.Repeat(close, 50_000));
        Assert.Contains("nest", Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source)).Message);
    }
}
