using System.Text;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tools;
using InferenceServer.Templates.Probing;

namespace InferenceServer.Engine.Tests.Models;

/// <summary>A chat template for tests without a model: each message as <c>role: content</c> on its own line, then <c>assistant:</c>.</summary>
public sealed class PlainChatTemplate : IChatTemplate
{
    public ChatTemplateKind Kind => ChatTemplateKind.Plain;

    public string? TemplateError => null;

    public ChatTemplateCapabilities Capabilities => ChatTemplateCapabilities.Fixed;

    public ToolCallFormat ToolCallFormat => ToolCallFormat.None;

    public bool ThinkTags => false;

    public string Format(IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, object?>? variables = null,
        IReadOnlyList<ToolDefinition>? tools = null)
    {
        var prompt = new StringBuilder();
        foreach (var m in messages)
            prompt.Append(m.Role).Append(": ").Append(m.Content).Append('\n');
        return prompt.Append("assistant:").ToString();
    }
}
