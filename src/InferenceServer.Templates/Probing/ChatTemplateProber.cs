namespace InferenceServer.Templates.Probing;

/// <summary>
/// Finds out what a chat template supports by rendering small probe conversations and looking for unique marker
/// strings in the output, as llama.cpp's server does at load. Run once per template; every probe that raises counts
/// as "not supported".
/// </summary>
public static class ChatTemplateProber
{
    private const string SystemMarker = "PrObEsYsTeM";
    private const string UserMarker = "PrObEuSeR";
    private const string SecondUserMarker = "PrObEsEcOnDuSeR";
    private const string AnswerMarker = "PrObEaNsWeR";
    private const string ToolName = "probe_tool_name";
    private const string ObjectArgMarker = "PrObEoBjEcTaRg";
    private const string StringArgMarker = "PrObEsTrInGaRg";
    private const string PartMarker = "PrObEpArT";

    /// <summary>Probes <paramref name="template"/>, rendering with the model's <paramref name="bosToken"/> and <paramref name="eosToken"/>.</summary>
    public static ChatTemplateCapabilities Probe(ChatTemplate template, string bosToken = "", string eosToken = "")
    {
        ArgumentNullException.ThrowIfNull(template);
        var renderer = new ProbeRenderer(template, bosToken, eosToken);
        return new ChatTemplateCapabilities(
            SystemRole: SupportsSystem(renderer),
            StrictAlternation: IsStrict(renderer),
            Tools: ReadsTools(renderer),
            ToolCallArguments: ToolCallArguments(renderer),
            ContentParts: SupportsContentParts(renderer),
            NullContent: SupportsNullContent(renderer),
            Thinking: ReadsThinking(renderer));
    }

    // Dropped means the user's text renders and the system text does not; a template that prints neither proves nothing.
    private static bool SupportsSystem(ProbeRenderer r)
    {
        string? output = r.Render([Message("system", SystemMarker), Message("user", UserMarker)]);
        return output is not null && (output.Contains(SystemMarker) || !output.Contains(UserMarker));
    }

    private static bool IsStrict(ProbeRenderer r)
    {
        string? output = r.Render([Message("user", UserMarker), Message("user", SecondUserMarker)]);
        return output is null || output.Contains(UserMarker) != output.Contains(SecondUserMarker);
    }

    private static bool ReadsTools(ProbeRenderer r)
    {
        var tools = new List<object?>
        {
            new Dictionary<string, object?>
            {
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?>
                {
                    ["name"] = ToolName,
                    ["description"] = "Probe tool.",
                    ["parameters"] = new Dictionary<string, object?>
                    {
                        ["type"] = "object",
                        ["properties"] = new Dictionary<string, object?> { ["x"] = new Dictionary<string, object?> { ["type"] = "string" } },
                        ["required"] = new List<object?> { "x" },
                    },
                },
            },
        };
        return r.Render([Message("user", UserMarker)], ("tools", tools))?.Contains(ToolName) == true;
    }

    // An object printed as Python's repr ({'x': '…'}) is not a rendering of the arguments: the template expects a string.
    // Some templates (DeepSeek-R1-Distill-Llama) render calls only when the assistant's content is null, not "".
    private static string? ToolCallArguments(ProbeRenderer r) => ToolCallArguments(r, "") ?? ToolCallArguments(r, null);

    private static string? ToolCallArguments(ProbeRenderer r, string? content)
    {
        var asObject = new Dictionary<string, object?> { ["x"] = ObjectArgMarker };
        string? objectOutput = r.Render(ToolCallConversation(asObject, content));
        if (objectOutput is not null && objectOutput.Contains(ObjectArgMarker) && !objectOutput.Contains("{'x': '" + ObjectArgMarker))
            return "object";
        string asString = "{\"x\": \"" + StringArgMarker + "\"}";
        return r.Render(ToolCallConversation(asString, content))?.Contains(StringArgMarker) == true ? "string" : null;
    }

    // A call id of nine letters and digits: some templates (Mistral's) refuse any other shape.
    private static List<object?> ToolCallConversation(object arguments, string? content) =>
    [
        Message("user", UserMarker),
        new Dictionary<string, object?>
        {
            ["role"] = "assistant",
            ["content"] = content,
            ["tool_calls"] = new List<object?>
            {
                new Dictionary<string, object?>
                {
                    ["id"] = "call00001",
                    ["type"] = "function",
                    ["function"] = new Dictionary<string, object?> { ["name"] = ToolName, ["arguments"] = arguments },
                },
            },
        },
        new Dictionary<string, object?> { ["role"] = "tool", ["tool_call_id"] = "call00001", ["name"] = ToolName, ["content"] = AnswerMarker },
    ];

    private static bool SupportsContentParts(ProbeRenderer r)
    {
        var parts = new List<object?> { new Dictionary<string, object?> { ["type"] = "text", ["text"] = PartMarker } };
        string? output = r.Render([new Dictionary<string, object?> { ["role"] = "user", ["content"] = parts }]);
        return output is not null && output.Contains(PartMarker) && !output.Contains("'type'") && !output.Contains("\"type\"");
    }

    private static bool SupportsNullContent(ProbeRenderer r)
    {
        string? output = r.Render(
        [
            Message("user", UserMarker),
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = null },
            Message("user", SecondUserMarker),
        ]);
        return output is not null && !output.Contains("None");
    }

    private static bool ReadsThinking(ProbeRenderer r)
    {
        List<object?> messages = [Message("user", UserMarker)];
        string? on = r.Render(messages, ("enable_thinking", true));
        string? off = r.Render(messages, ("enable_thinking", false));
        return on is not null && off is not null && on != off;
    }

    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private sealed class ProbeRenderer(ChatTemplate template, string bosToken, string eosToken)
    {
        /// <summary>The rendered prompt, or null when the template raised or failed.</summary>
        public string? Render(List<object?> messages, params (string Name, object? Value)[] extra)
        {
            var names = new Dictionary<string, object?>
            {
                ["messages"] = messages, ["add_generation_prompt"] = true, ["bos_token"] = bosToken, ["eos_token"] = eosToken,
            };
            foreach (var (name, value) in extra) names[name] = value;
            try
            {
                return template.Render(names);
            }
            catch (TemplateException)
            {
                return null;
            }
        }
    }
}
