using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;
using InferenceServer.ModelGeneration;
using InferenceServer.LlamaSharp.Tests.Execution;
using InferenceServer.Templates.Tests;
using Json.Schema;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// Lazy tool grammars on generated models that carry a real template and its tokens, where the markers are single
/// tokens as in the real models: <c>&lt;tool_call&gt;</c>, <c>&lt;|python_tag|&gt;</c> and <c>[TOOL_CALLS]</c> wake the
/// grammar as trigger tokens, and Qwen3's
/// <c>&lt;/think&gt;</c> opens the reasoning gate. A logit bias makes the random-weights model write the marker.
/// </summary>
[Collection("llama")]
public sealed class TemplateModelToolGrammarTests : IDisposable
{
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string","maxLength":10}},"required":["city"]}""";
    private static readonly ToolDefinition[] Tools = [new("get_weather", null, JsonDocument.Parse(Schema).RootElement)];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "template-grammar-tests-" + Guid.NewGuid().ToString("N"));
    private LlamaModelHost? _host;
    private LlamaModelRunner? _runner;

    private async Task<(LlamaModelHost Host, LlamaModelRunner Runner)> LoadAsync(string template)
    {
        string? folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        var spec = SyntheticModelSpec.ForTemplate(template, File.ReadAllText(Path.Combine(folder!, template + ".jinja"))) with
        {
            VocabSize = 2048, EmbeddingLength = 32, LayerCount = 1, FeedForwardLength = 64, ContextLength = 2048,
        };
        string path = Path.Combine(_directory, spec.GetCacheFileName(5));
        SyntheticModelWriter.Write(spec, 5, path);
        var options = Options.Create(new ModelOptions { Path = path });
        _host = new LlamaModelHost(options);
        _host.Load(path);
        _runner = (LlamaModelRunner)(await new LlamaModelRunnerFactory(_host, options, NullLoggerFactory.Instance)
            .CreateAsync(RealRunnerFixture.Options, CancellationToken.None)).Runner;
        RealEngineDriver.PrepareCellCounting(_runner);
        return (_host, _runner);
    }

    private static int[] Run(LlamaModelHost host, LlamaModelRunner runner, SamplingParams sampling)
    {
        using var driver = new RealEngineDriver(runner, numBlocks: 32, prefixCaching: false);
        var seq = new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), host.Tokenizer.Tokenize("Weather in Oslo?", parseSpecial: false),
            sampling, DateTimeOffset.UtcNow);
        driver.All.Add(seq);
        driver.Scheduler.Add(seq);
        driver.RunToIdle();
        Assert.Equal(0, runner.NumGrammars);
        return RealEngineDriver.Output(seq);
    }

    private static void AssertCall(string text)
    {
        Assert.StartsWith("<tool_call>\n", text);
        Assert.EndsWith("\n</tool_call>", text);
        var call = JsonNode.Parse(text["<tool_call>\n".Length..^"\n</tool_call>".Length])!;
        Assert.Equal("get_weather", call["name"]!.GetValue<string>());
        Assert.True(JsonSchema.FromText(Schema).Evaluate(call["arguments"]).IsValid, text);
    }

    // Text as llama.cpp's grammar sees it: control tokens such as [TOOL_CALLS] as their text.
    private static string GrammarText(LlamaModelHost host, IEnumerable<int> tokens)
    {
        var pieces = TokenBytes.WithSpecial(host.Weights.NativeHandle);
        return System.Text.Encoding.UTF8.GetString([.. tokens.SelectMany(t => pieces[t])]);
    }

    [SkippableTheory]
    // The bias makes the marker come after some free text and early enough for the call to fit the 128-token context.
    [InlineData("Qwen-Qwen2.5-7B-Instruct", ToolCallFormat.Hermes, 5f)]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", ToolCallFormat.Hermes, 5f)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct", ToolCallFormat.Llama3Json, 6f)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407", ToolCallFormat.MistralJson, 5f)]
    [InlineData("Mistral-Small-3.2-24B-Instruct-2506", ToolCallFormat.MistralArgs, 5f)]
    public async Task The_marker_token_wakes_the_auto_grammar(string template, ToolCallFormat format, float bias)
    {
        var (host, runner) = await LoadAsync(template);
        var model = host.Weights.NativeHandle;
        var constraint = ToolCallGrammar.Build(format, Tools, ToolChoice.Auto, parallelToolCalls: false)!;
        int open = Assert.Single(GrammarPrototypes.TriggerTokens(model, constraint.Triggers!));
        Assert.Null(GrammarSampler.Check(model, constraint.Gbnf, constraint.Triggers));
        var free = new SamplingParams { MaxTokens = 100, Temperature = 1f, Seed = 3, LogitBias = new Dictionary<int, float> { [open] = bias } };

        var unconstrained = Run(host, runner, free);
        var lazy = Run(host, runner, constraint.ApplyTo(free));

        int trigger = Array.IndexOf(lazy, open);
        Assert.True(trigger > 0, "the marker came first or never");
        Assert.Equal(unconstrained[..(trigger + 1)], lazy[..(trigger + 1)]);
        Assert.Contains(lazy[^1], runner.Info.EndOfGenerationTokenIds);
        var (name, arguments) = Assert.Single(ToolCallText.Calls(format, GrammarText(host, lazy[trigger..^1])));
        Assert.Equal("get_weather", name);
        Assert.True(JsonSchema.FromText(Schema).Evaluate(arguments).IsValid, arguments?.ToJsonString());
    }

    [SkippableFact]
    public async Task Qwen3_required_call_comes_after_the_reasoning()
    {
        var (host, runner) = await LoadAsync("Qwen-Qwen3-0.6B");
        var model = host.Weights.NativeHandle;
        var constraint = ReasoningGate.AfterReasoning(ToolCallGrammar.Build(ToolCallFormat.Hermes, Tools, ToolChoice.Required, false)!);
        var think = model.Tokenize(ReasoningGate.ThinkEnd, false, true, System.Text.Encoding.UTF8);
        int end = (int)Assert.Single(think);
        Assert.Null(GrammarSampler.Check(model, constraint.Gbnf, constraint.Triggers, constraint.StartAfter));

        var output = Run(host, runner, constraint.ApplyTo(new SamplingParams
        {
            MaxTokens = 100, Temperature = 1f, Seed = 4, LogitBias = new Dictionary<int, float> { [end] = 4f },
        }));

        int gate = Array.IndexOf(output, end);
        Assert.True(gate > 0, "no reasoning before the marker");
        Assert.Contains(output[^1], runner.Info.EndOfGenerationTokenIds);
        AssertCall(host.Tokenizer.Detokenize(output[(gate + 1)..^1]).TrimStart(' ', '\t', '\n'));
    }

    public void Dispose()
    {
        _runner?.Dispose();
        _host?.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
