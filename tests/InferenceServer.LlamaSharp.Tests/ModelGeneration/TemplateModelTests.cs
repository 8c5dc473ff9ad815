using System.Text;
using System.Text.Json.Nodes;
using InferenceServer.ModelGeneration;
using InferenceServer.Templates;
using InferenceServer.Templates.Tests;
using LLama.Native;
using Microsoft.Extensions.Options;

namespace InferenceServer.LlamaSharp.Tests.ModelGeneration;

/// <summary>
/// Every catalogued template of ../shared/templates written into a generated model with its model's special tokens,
/// loaded through <see cref="LlamaModelHost"/>: each marker is one token of the catalogued id and type, the end
/// tokens end generation, and prompts tokenize exactly like Python jinja2's render of the same conversation.
/// </summary>
[Collection("llama")]
public sealed class TemplateModelTests : IDisposable
{
    private const int Seed = 11;

    /// <summary>Tool definition, a tool call with its result, a later user turn; thinking off where a template reads it.</summary>
    private const string ToolConversation = """
        {"messages": [
          {"role": "system", "content": "You are a weather bot."},
          {"role": "user", "content": "What is the weather in Paris?"},
          {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call0001a", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
          {"role": "tool", "tool_call_id": "call0001a", "name": "get_weather", "content": "{\"temperature\": 21}"},
          {"role": "assistant", "content": "It is 21 degrees."},
          {"role": "user", "content": "And in Rome?"}],
         "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather of a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
         "add_generation_prompt": true, "enable_thinking": false}
        """;

    /// <summary>
    /// Control tokens llama.cpp's loader re-types as user-defined by their text, so they show in output (gpt-oss's
    /// harmony words; <c>&lt;|end|&gt;</c> only beside <c>&lt;|return|&gt;</c> and <c>&lt;|call|&gt;</c>).
    /// </summary>
    private static readonly string[] UserDefinedByText = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", "<|end|>"];

    /// <summary>
    /// Tokens llama.cpp's vocabulary loader marks as end of generation by their text alone (llama-vocab.cpp);
    /// <c>&lt;|end|&gt;</c> is one too, but not beside <c>&lt;|return|&gt;</c> and <c>&lt;|call|&gt;</c>, as in gpt-oss.
    /// </summary>
    private static readonly string[] EndOfGenerationByText = ["<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|eom_id|>", "<|end_of_text|>", "<|call|>"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "template-model-tests-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string> Templates => new(SyntheticTemplateCatalog.TemplateNames);

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void Markers_are_single_tokens_and_end_tokens_end_generation(string name)
    {
        var (spec, host) = Load(name);
        using var _ = host;
        var tokens = spec.SpecialTokens;
        var model = host.Weights.NativeHandle;

        Assert.Equal(ChatTemplateKind.Jinja, host.Chat.Kind);
        Assert.Equal(tokens.AddBos, host.Tokenizer.AddBos);
        Assert.Equal(tokens.IdOf(tokens.Bos), (int?)model.Vocab.BOS);
        Assert.Equal(tokens.IdOf(tokens.Eos), (int?)model.Vocab.EOS);
        // EOT and EOM are written only when the model defines them (llama.cpp otherwise finds some by their text).
        Assert.Equal(Key(tokens, tokens.EndOfTurn), host.Weights.Metadata.GetValueOrDefault("tokenizer.ggml.eot_token_id"));
        Assert.Equal(Key(tokens, tokens.EndOfMessage), host.Weights.Metadata.GetValueOrDefault("tokenizer.ggml.eom_token_id"));
        foreach (var token in tokens.Tokens)
        {
            int id = tokens.IdOf(token.Text)!.Value;
            Assert.Equal([id], Ids(model.Tokenize(token.Text, false, true, Encoding.UTF8)));
            // Without special-token parsing only user-defined tokens stay whole.
            int plainCount = model.Tokenize(token.Text, false, false, Encoding.UTF8).Length;
            bool userDefined = token.Kind == SyntheticTokenKind.UserDefined || UserDefinedByText.Contains(token.Text);
            Assert.True(userDefined ? plainCount == 1 : plainCount > 1, token.Text);
            bool endsGeneration = tokens.EndOfGeneration.Contains(token.Text) || EndOfGenerationByText.Contains(token.Text);
            Assert.True(endsGeneration == ((LLamaToken)id).IsEndOfGeneration(model.Vocab), $"{token.Text} end of generation");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void A_tool_conversation_tokenizes_like_the_jinja2_render(string name)
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var (spec, host) = Load(name);
        using var _ = host;
        var tokens = spec.SpecialTokens;
        var variables = JsonNode.Parse(ToolConversation)!.AsObject();
        variables["bos_token"] = tokens.Bos;
        variables["eos_token"] = tokens.Eos;

        string reference = StripBos(spec, RenderReference(spec, variables));
        string engine = StripBos(spec, ChatTemplate.Parse(spec.ChatTemplate!)
            .Render(variables.ToDictionary(p => p.Key, p => (object?)p.Value)));
        int[] expected = host.Tokenizer.Tokenize(reference, parseSpecial: true);
        int[] actual = host.Tokenizer.Tokenize(engine, parseSpecial: true);

        Assert.Equal(expected, actual);
        var body = expected.AsSpan(tokens.AddBos ? 1 : 0).ToArray();
        if (tokens.AddBos) Assert.Equal(tokens.IdOf(tokens.Bos), expected[0]);
        int markersSeen = 0;
        foreach (var token in tokens.Tokens)
        {
            int occurrences = Occurrences(reference, token.Text);
            Assert.True(occurrences == body.Count(t => t == tokens.IdOf(token.Text)), $"{token.Text}: {occurrences} in the text");
            markersSeen += occurrences > 0 ? 1 : 0;
        }
        Assert.True(markersSeen >= 3, $"only {markersSeen} distinct markers in the prompt");
    }

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void The_formatters_prompt_tokenizes_like_the_jinja2_render(string name)
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var (spec, host) = Load(name);
        using var _ = host;
        var variables = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
                new JsonObject { ["role"] = "user", ["content"] = "Name a colour." }),
            ["add_generation_prompt"] = true,
            ["bos_token"] = spec.SpecialTokens.Bos,
            ["eos_token"] = spec.SpecialTokens.Eos,
        };

        string prompt = host.Chat.Format([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Name a colour.")]);
        int[] expected = host.Tokenizer.Tokenize(StripBos(spec, RenderReference(spec, variables)), parseSpecial: true);

        Assert.Equal(expected.Length, host.Tokenizer.Tokenize(prompt, parseSpecial: true).Length);
        Assert.Equal(expected, host.Tokenizer.Tokenize(prompt, parseSpecial: true));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The catalogued template in a model of tiny dimensions, loaded as the server loads models.</summary>
    private (SyntheticModelSpec, LlamaModelHost) Load(string name)
    {
        string? folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        var spec = SyntheticModelSpec.ForTemplate(name, File.ReadAllText(Path.Combine(folder!, name + ".jinja"))) with
        {
            VocabSize = 2048, EmbeddingLength = 32, LayerCount = 1, FeedForwardLength = 64, ContextLength = 2048,
        };
        string path = Path.Combine(_directory, spec.GetCacheFileName(Seed));
        SyntheticModelWriter.Write(spec, Seed, path);
        var host = new LlamaModelHost(Options.Create(new ModelOptions { Path = path }));
        host.Load(path);
        return (spec, host);
    }

    private static string RenderReference(SyntheticModelSpec spec, JsonObject variables)
    {
        var result = ReferenceRenderer.Render(new() { ["t"] = spec.ChatTemplate! }, [("t", variables)], DateTime.Now)[0];
        Assert.True(result.Ok, result.Error);
        return result.Output!;
    }

    /// <summary>The formatter drops a leading BOS text when the tokenizer adds BOS itself; do the same to the reference.</summary>
    private static string StripBos(SyntheticModelSpec spec, string text) =>
        spec.SpecialTokens.AddBos && text.StartsWith(spec.SpecialTokens.Bos, StringComparison.Ordinal)
            ? text[spec.SpecialTokens.Bos.Length..] : text;

    private static int Occurrences(string text, string marker)
    {
        int count = 0;
        for (int at = text.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static string? Key(SyntheticSpecialTokens tokens, string? text) =>
        text is null ? null : tokens.IdOf(text)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int[] Ids(LLamaToken[] tokens) => tokens.Select(t => (int)t).ToArray();
}
