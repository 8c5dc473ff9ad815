namespace InferenceServer.Engine.Models;

/// <summary>How an <see cref="IChatTemplate"/> turns messages into a prompt.</summary>
public enum ChatTemplateKind
{
    /// <summary>The model's Jinja template, rendered by InferenceServer.Templates as Hugging Face renders it.</summary>
    Jinja,

    /// <summary>llama.cpp's <c>llama_chat_apply_template</c>, for a template the Jinja engine cannot parse but llama.cpp recognises.</summary>
    LlamaCpp,

    /// <summary>The plain fallback format (no template, or one neither can use).</summary>
    Plain,
}
