using System.Text;
using LLama;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Renders chat messages into a prompt with the model's own chat template (GGUF <c>tokenizer.chat_template</c>,
/// applied by llama.cpp's <c>llama_chat_apply_template</c>, which recognises the common template families).
/// A model without a template, or with one llama.cpp does not recognise, gets the plain fallback format:
/// <code>
/// {system text}\n\n          (each system/developer message)
/// User: {text}\n
/// Assistant: {text}\n
/// Tool: {text}\n
/// Assistant:
/// </code>
/// The role <c>developer</c> is given to templates as <c>system</c>.
/// </summary>
public sealed class ChatPromptFormatter
{
    private readonly string? _template;

    /// <summary>Reads the chat template of <paramref name="model"/>, if any.</summary>
    public ChatPromptFormatter(SafeLlamaModelHandle model)
    {
        _template = model.GetTemplate(null, false);
        if (_template is not null && !IsRecognised(_template))
            _template = null;
    }

    /// <summary>True when the model's own template is used; false for the plain fallback.</summary>
    public bool UsesModelTemplate => _template is not null;

    /// <summary>The prompt for <paramref name="messages"/>, ending where the assistant's reply begins.</summary>
    public string Format(IReadOnlyList<ChatMessage> messages) =>
        _template is null ? FormatFallback(messages) : FormatWithTemplate(_template, messages);

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
