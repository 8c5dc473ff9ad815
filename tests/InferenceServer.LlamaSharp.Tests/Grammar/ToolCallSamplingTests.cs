using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;
using InferenceServer.LlamaSharp.Tests.Execution;
using Json.Schema;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// Tool-call grammars in the real runner on the demo model: <c>required</c> yields a call that parses, names a declared
/// tool and whose arguments validate (JsonSchema.Net) at temperature 0 and 1; a lazy grammar leaves the output exactly
/// as unconstrained sampling makes it until the trigger, then forces a valid call.
/// </summary>
[Collection("llama")]
public sealed class ToolCallSamplingTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    private const string WeatherSchema =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":14},"unit":{"enum":["c","f"]}},"required":["city","days"]}""";

    private const string ClockSchema = """{"type":"object","properties":{"zone":{"enum":["utc","cet","pst"]}},"required":["zone"]}""";

    private static readonly ToolDefinition[] Tools =
    [
        new("get_weather", "Forecast", JsonDocument.Parse(WeatherSchema).RootElement),
        new("clock", "Time", JsonDocument.Parse(ClockSchema).RootElement),
    ];

    private int[] Run(string prompt, SamplingParams sampling)
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32, prefixCaching: false);
        var seq = new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), fixture.Host.Tokenizer.Tokenize(prompt, parseSpecial: false),
            sampling, DateTimeOffset.UtcNow);
        driver.All.Add(seq);
        driver.Scheduler.Add(seq);
        driver.RunToIdle();
        Assert.Equal(0, fixture.Runner.NumGrammars);
        return RealEngineDriver.Output(seq);
    }

    private string Text(IEnumerable<int> tokens) => fixture.Host.Tokenizer.Detokenize(tokens);

    // Parses "<tool_call>\n{…}\n</tool_call>" and checks name and arguments; returns the tool name.
    private static string AssertValidHermesCall(string text)
    {
        Assert.StartsWith("<tool_call>\n", text);
        Assert.EndsWith("\n</tool_call>", text);
        var call = JsonNode.Parse(text["<tool_call>\n".Length..^"\n</tool_call>".Length])!.AsObject();
        string name = call["name"]!.GetValue<string>();
        string schema = name switch
        {
            "get_weather" => WeatherSchema,
            "clock" => ClockSchema,
            _ => throw new Xunit.Sdk.XunitException($"undeclared tool {name}"),
        };
        var result = JsonSchema.FromText(schema).Evaluate(call["arguments"]);
        Assert.True(result.IsValid, $"arguments {call["arguments"]!.ToJsonString()} do not validate");
        return name;
    }

    [Theory]
    [InlineData(0f, 1u)]
    [InlineData(1f, 2u)]
    [InlineData(1f, 3u)]
    public void Required_yields_a_call_whose_arguments_validate(float temperature, uint seed)
    {
        var constraint = ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.Required, parallelToolCalls: false)!;
        Assert.Null(GrammarSampler.Check(fixture.Host.Weights.NativeHandle, constraint.Gbnf, constraint.Triggers));
        var output = Run("What is the weather", constraint.ApplyTo(new SamplingParams { MaxTokens = 200, Temperature = temperature, Seed = seed }));

        Assert.Contains(output[^1], fixture.Runner.Info.EndOfGenerationTokenIds);
        AssertValidHermesCall(Text(output[..^1]));
    }

    private static void AssertValid(string name, JsonNode? arguments)
    {
        string schema = name switch
        {
            "get_weather" => WeatherSchema,
            "clock" => ClockSchema,
            _ => throw new Xunit.Sdk.XunitException($"undeclared tool {name}"),
        };
        Assert.True(JsonSchema.FromText(schema).Evaluate(arguments).IsValid, $"arguments {arguments?.ToJsonString()} do not validate");
    }

    // The runner's context holds 128 tokens: on this random model the Mistral formats go on calling until it is
    // full, so they run with one call; parallel calls of every format are walked in ToolCallGrammarTests.
    [Theory]
    [InlineData(ToolCallFormat.Hermes, 0f, true)]
    [InlineData(ToolCallFormat.Hermes, 1f, true)]
    [InlineData(ToolCallFormat.Llama3Json, 0f, false)]
    [InlineData(ToolCallFormat.Llama3Json, 1f, false)]
    [InlineData(ToolCallFormat.MistralJson, 0f, false)]
    [InlineData(ToolCallFormat.MistralJson, 1f, false)]
    [InlineData(ToolCallFormat.MistralArgs, 0f, false)]
    [InlineData(ToolCallFormat.MistralArgs, 1f, false)]
    [InlineData(ToolCallFormat.Generic, 0f, true)]
    [InlineData(ToolCallFormat.Generic, 1f, true)]
    public void Required_calls_parse_and_validate_in_every_format(ToolCallFormat format, float temperature, bool parallel)
    {
        var constraint = ToolCallGrammar.Build(format, Tools, ToolChoice.Required, parallel)!;
        var output = Run("Plan the trip", constraint.ApplyTo(new SamplingParams { MaxTokens = 400, Temperature = temperature, Seed = 21 }));

        Assert.Contains(output[^1], fixture.Runner.Info.EndOfGenerationTokenIds);
        var calls = ToolCallText.Calls(format, Text(output[..^1]));
        Assert.NotEmpty(calls);
        foreach (var (name, arguments) in calls)
            AssertValid(name, arguments);
    }

    [Fact]
    public void Named_choice_calls_that_tool()
    {
        var constraint = ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, new ToolChoice(ToolChoiceMode.Named, "clock"), parallelToolCalls: true)!;
        var output = Run("Time please", constraint.ApplyTo(new SamplingParams { MaxTokens = 200, Temperature = 1f, Seed = 5 }));

        Assert.Equal("clock", AssertValidHermesCall(Text(output[..^1])));
    }

    [Fact]
    public void A_lazy_grammar_leaves_the_text_free_until_the_trigger_then_forces_a_valid_call()
    {
        // The demo model never writes "<tool_call>" by itself: the trigger here is "<", made likely by a logit bias, and
        // the grammar (which begins with "<tool_call>") is fed from it.
        int[] angle = [.. Enumerable.Range(0, fixture.Host.Tokenizer.VocabSize).Where(t => Text([t]) == "<")];
        Assert.NotEmpty(angle);
        var free = new SamplingParams
        {
            MaxTokens = 200, Temperature = 1f, Seed = 11, LogitBias = angle.ToDictionary(t => t, _ => 4f),
        };
        var constraint = ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.Auto, parallelToolCalls: false)!
            with { Triggers = GrammarTriggers.OfWords("<") };

        var unconstrained = Run("Once upon a time", free);
        var lazy = Run("Once upon a time", constraint.ApplyTo(free));

        int trigger = Array.FindIndex(lazy, angle.Contains);
        Assert.True(trigger > 0, $"no free text before the trigger: {Text(lazy)}");
        Assert.Equal(unconstrained[..(trigger + 1)], lazy[..(trigger + 1)]);
        Assert.Contains(lazy[^1], fixture.Runner.Info.EndOfGenerationTokenIds);
        AssertValidHermesCall(Text(lazy[trigger..^1]));
    }
}
