using System.Text;
using LLama;
using LLama.Native;
using InferenceServer.Engine.Tools;
using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Renders chat messages into a prompt with the model's own chat template (GGUF <c>tokenizer.chat_template</c>).
/// The template is parsed once by the Jinja engine (InferenceServer.Templates) and rendered as Hugging Face does,
/// with <c>messages</c>, <c>add_generation_prompt</c> (true), <c>bos_token</c>, <c>eos_token</c> and the request's
/// extra variables. A template the engine cannot parse falls back to llama.cpp's <c>llama_chat_apply_template</c>
/// when it recognises the family; a model without a usable template gets the plain fallback format:
/// <code>
/// {system text}\n\n          (each system/developer message)
/// User: {text}\n
/// Assistant: {text}\n
/// Tool: {text}\n
/// Assistant:
/// </code>
/// The role <c>developer</c> is given to templates as <c>system</c>. When the tokenizer adds BOS itself, a BOS the
/// template writes at the very start is dropped so the prompt holds one (as llama.cpp's server does).
/// A Jinja template is probed once here (<see cref="ChatTemplateProber"/>) and each conversation is adapted to it
/// (<see cref="ChatMessageAdapter"/>) before rendering.
/// </summary>
public sealed class ChatPromptFormatter : IChatTemplate
{
    private readonly string? _llamaTemplate;
    private readonly ChatTemplate? _jinja;
    private readonly string _bosToken;
    private readonly string _eosToken;
    private readonly bool _stripLeadingBos;

    /// <summary>Reads and parses the chat template of <paramref name="model"/>, if any.</summary>
    public ChatPromptFormatter(SafeLlamaModelHandle model)
    {
        _bosToken = TokenText(model, model.Vocab.BOS);
        _eosToken = TokenText(model, model.Vocab.EOS);
        _stripLeadingBos = model.Vocab.ShouldAddBOS && _bosToken.Length > 0;
        string? source = model.GetTemplate(null, false);
        if (source is null)
            return;
        try
        {
            _jinja = ChatTemplate.Parse(source, generationTags: true);
            Capabilities = ChatTemplateProber.Probe(_jinja, _bosToken, _eosToken);
            ToolCallFormat = ToolCallFormatDetector.Detect(_jinja, Capabilities, _bosToken, _eosToken);
            ThinkTags = source.Contains("<think>", StringComparison.Ordinal);
        }
        catch (TemplateException e)
        {
            TemplateError = e.Message;
            if (IsRecognised(source))
                _llamaTemplate = source;
        }
    }

    /// <summary>How prompts are made for this model.</summary>
    public ChatTemplateKind Kind => _jinja is not null ? ChatTemplateKind.Jinja
        : _llamaTemplate is not null ? ChatTemplateKind.LlamaCpp : ChatTemplateKind.Plain;

    /// <summary>Why the Jinja engine could not parse the model's template (null when it could, or there is none).</summary>
    public string? TemplateError { get; }

    /// <summary>
    /// What the template supports: probed for a Jinja template, <see cref="ChatTemplateCapabilities.Fixed"/> for
    /// llama.cpp's formats and the plain format.
    /// </summary>
    public ChatTemplateCapabilities Capabilities { get; } = ChatTemplateCapabilities.Fixed;

    /// <summary>
    /// How the model writes tool calls, found from how its Jinja template renders one (<see cref="ToolCallFormatDetector"/>);
    /// <see cref="ToolCallFormat.None"/> for templates without tool-call markup and for the other formats.
    /// </summary>
    public ToolCallFormat ToolCallFormat { get; } = ToolCallFormat.None;

    /// <summary>The template writes <c>&lt;think&gt;</c> (Qwen3, QwQ, DeepSeek R1): the model's output may hold reasoning in those tags.</summary>
    public bool ThinkTags { get; }

    /// <summary>True when the model's own template is used; false for the plain fallback.</summary>
    public bool UsesModelTemplate => Kind != ChatTemplateKind.Plain;

    /// <summary>
    /// The prompt for <paramref name="messages"/>, ending where the assistant's reply begins.
    /// <paramref name="variables"/> are extra template variables (e.g. <c>enable_thinking</c>); only the Jinja path
    /// reads them, and they cannot replace <see cref="IChatTemplate.ReservedVariableNames"/>. <paramref name="tools"/> become the
    /// template's <c>tools</c> (OpenAI's <c>{"type":"function","function":{…}}</c> objects); only the Jinja path reads them.
    /// </summary>
    /// <exception cref="TemplateException">The template failed, or raised an error, on these messages.</exception>
    public string Format(IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, object?>? variables = null,
        IReadOnlyList<ToolDefinition>? tools = null) => Kind switch
    {
        ChatTemplateKind.Jinja => FormatWithJinja(_jinja!, messages, variables, tools),
        ChatTemplateKind.LlamaCpp => FormatWithTemplate(_llamaTemplate!, messages),
        _ => FormatFallback(messages),
    };

    private string FormatWithJinja(ChatTemplate template, IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, object?>? variables,
        IReadOnlyList<ToolDefinition>? tools)
    {
        var names = new Dictionary<string, object?>();
        if (variables is not null)
            foreach (var (name, value) in variables)
                if (!IChatTemplate.ReservedVariableNames.Contains(name)) names[name] = value;
        if (tools is { Count: > 0 })
            names["tools"] = TemplateValues.Tools(tools);
        if (ToolCallFormat is ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs)
            messages = MistralCallIds.Adapt(messages);
        bool harmony = ToolCallFormat == ToolCallFormat.Harmony;
        if (harmony)
            messages = HarmonyHistory.SplitCalls(messages);
        names["messages"] = ChatMessageAdapter.Adapt(messages, Capabilities)
            .Select(m => TemplateValues.Message(m, Capabilities.ToolCallArguments == "object"))
            .Select(m => harmony ? HarmonyHistory.WithThinking(m) : m).ToList();
        names["add_generation_prompt"] = true;
        names["bos_token"] = _bosToken;
        names["eos_token"] = _eosToken;
        string prompt = template.Render(names);
        return _stripLeadingBos && prompt.StartsWith(_bosToken, StringComparison.Ordinal) ? prompt[_bosToken.Length..] : prompt;
    }

    private static string TokenText(SafeLlamaModelHandle model, LLamaToken? token)
    {
        if (token is not { } t) return "";
        Span<byte> buffer = stackalloc byte[256];
        uint n = model.TokenToSpan(t, buffer, 0, true);
        return Encoding.UTF8.GetString(buffer[..(int)Math.Min(n, 256u)]);
    }

    private static string FormatWithTemplate(string template, IReadOnlyList<ChatMessage> messages)
    {
        var chat = new LLamaTemplate(template) { AddAssistant = true };
        foreach (var m in messages)
            chat.Add(m.Role == "developer" ? "system" : m.Role, m.Content);
        return Encoding.UTF8.GetString(chat.Apply());
    }

    private static string FormatFallback(IReadOnlyList<ChatMessage> messages)
    {
        var prompt = new StringBuilder();
        foreach (var m in messages)
        {
            _ = m.Role switch
            {
                "system" or "developer" => prompt.Append(m.Content).Append("\n\n"),
                "user" => prompt.Append("User: ").Append(m.Content).Append('\n'),
                "assistant" => prompt.Append("Assistant: ").Append(m.Content).Append('\n'),
                _ => prompt.Append("Tool: ").Append(m.Content).Append('\n'),
            };
        }
        return prompt.Append("Assistant:").ToString();
    }

    private static bool IsRecognised(string template)
    {
        try
        {
            var probe = new LLamaTemplate(template) { AddAssistant = true };
            probe.Add("user", "x");
            return probe.Apply().Length > 0;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
