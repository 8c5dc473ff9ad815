using System.Text;
using InferenceServer.Templates.Lexing;
using InferenceServer.Templates.Runtime;
using InferenceServer.Templates.Syntax;

namespace InferenceServer.Templates;

/// <summary>
/// A parsed Jinja chat template, rendered the way Hugging Face <c>transformers</c> renders chat templates with
/// jinja2: <c>ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)</c>, loop controls, the globals
/// <c>raise_exception(msg)</c> and <c>strftime_now(fmt)</c>, and a <c>tojson</c> that keeps non-ASCII characters.
/// Parse once, render many times; a parsed template is immutable and safe to render from several threads.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Stmt> _body;

    private ChatTemplate(string source, List<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <param name="source">The template text.</param>
    /// <param name="generationTags">
    /// Accept Hugging Face <c>transformers</c>' <c>{% generation %}…{% endgeneration %}</c> block (it marks the
    /// assistant's text for training masks; rendering, it is its body). Plain jinja2 rejects the tag, so by default
    /// the engine does too.
    /// </param>
    /// <exception cref="TemplateException">The template is not valid Jinja (the message names the line).</exception>
    public static ChatTemplate Parse(string source, bool generationTags = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            var tokens = new Lexer(source).Tokenize();
            return new ChatTemplate(source, new Parser(tokens, generationTags).ParseTemplate());
        }
        catch (Exception e) when (IsUnexpected(e))
        {
            throw new TemplateException($"invalid template: {e.Message}");
        }
    }

    /// <summary>
    /// Renders with <paramref name="variables"/> as the template's top-level names (e.g. <c>messages</c>,
    /// <c>tools</c>, <c>add_generation_prompt</c>, <c>bos_token</c>). Values may be strings, numbers, booleans,
    /// null, dictionaries, sequences, <see cref="System.Text.Json.JsonElement"/> or
    /// <see cref="System.Text.Json.Nodes.JsonNode"/>; object key order is kept. <c>strftime_now</c> reads the local
    /// time of <paramref name="time"/> (the system clock when null).
    /// </summary>
    /// <exception cref="TemplateException">Rendering failed, or the template called <c>raise_exception</c>.</exception>
    /// <exception cref="ArgumentException">A value is of a type templates cannot take.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeProvider? time = null)
    {
        var scope = new Scope(Globals.Create(time ?? TimeProvider.System));
        foreach (var (name, value) in variables) scope.Set(name, ValueConverter.From(value));
        var output = new StringBuilder();
        RenderBudget.Begin();
        try
        {
            Stmt.RenderAll(_body, scope, output);
        }
        catch (Exception e) when (IsUnexpected(e))
        {
            // Whatever a template does with whatever input, the caller sees a template error, never another exception.
            throw new TemplateException($"{e.GetType().Name}: {e.Message}");
        }
        return output.ToString();
    }

    private static bool IsUnexpected(Exception e) => e is not (TemplateException or OutOfMemoryException);
}
