using InferenceServer.Engine.Tools;
using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.Engine.Models;

/// <summary>
/// Renders chat messages into the model's prompt and says what its template supports (probed once at load);
/// thread-safe.
/// </summary>
public interface IChatTemplate
{
    /// <summary>Names a request's extra template variables may not use: the renderer sets them.</summary>
    static IReadOnlySet<string> ReservedVariableNames { get; } =
        new HashSet<string>(["messages", "tools", "add_generation_prompt", "bos_token", "eos_token"]);

    /// <summary>How prompts are made for this model.</summary>
    ChatTemplateKind Kind { get; }

    /// <summary>Why the model's template could not be parsed (null when it could, or there is none).</summary>
    string? TemplateError { get; }

    /// <summary>What the template supports (fixed values for formats that are not probed).</summary>
    ChatTemplateCapabilities Capabilities { get; }

    /// <summary>How the model writes tool calls, from how its template renders one; None when it renders none.</summary>
    ToolCallFormat ToolCallFormat { get; }

    /// <summary>The template writes <c>&lt;think&gt;</c>: the model's output may hold reasoning in those tags.</summary>
    bool ThinkTags { get; }

    /// <summary>True when the model's own template is used; false for the plain fallback.</summary>
    bool UsesModelTemplate => Kind != ChatTemplateKind.Plain;

    /// <summary>
    /// The prompt for <paramref name="messages"/>, ending where the assistant's reply begins. <paramref name="variables"/>
    /// are extra template variables (e.g. <c>enable_thinking</c>) and <paramref name="tools"/> the template's
    /// <c>tools</c>; neither can replace <see cref="ReservedVariableNames"/>.
    /// </summary>
    /// <exception cref="TemplateException">The template failed, or raised an error, on these messages.</exception>
    string Format(IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, object?>? variables = null,
        IReadOnlyList<ToolDefinition>? tools = null);
}
