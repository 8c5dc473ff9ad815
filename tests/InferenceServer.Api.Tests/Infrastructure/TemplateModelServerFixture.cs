using InferenceServer.ModelGeneration;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// A server on a tiny generated model that carries a real chat template from ../shared/templates and the special
/// tokens of the model the template belongs to, for end-to-end tests of one model family (tool calls, reasoning).
/// <see cref="Server"/> is null when ../shared is absent: tests call <see cref="SkipIfAbsent"/> first.
/// Join <see cref="ServerCollection"/> so llama.cpp never runs beside another test's model.
/// </summary>
/// <param name="templateName">File name in ../shared/templates without <c>.jinja</c>; must be catalogued.</param>
public abstract class TemplateModelServerFixture(string templateName) : IAsyncLifetime
{
    /// <summary>The template file name without <c>.jinja</c>, e.g. <c>Qwen-Qwen3-0.6B</c>.</summary>
    public string TemplateName { get; } = templateName;

    /// <summary>The running server; null when ../shared/templates is absent.</summary>
    public TestServer? Server { get; private set; }

    /// <summary>The generated model's spec: its template and special tokens (texts and ids via <see cref="SyntheticSpecialTokens.IdOf"/>).</summary>
    public SyntheticModelSpec? Spec { get; private set; }

    /// <summary>The served model id (the generated file's name).</summary>
    public string ModelId => Server!.Model.ModelId;

    /// <summary>Id of a special token of this model, e.g. <c>&lt;tool_call&gt;</c>.</summary>
    /// <exception cref="ArgumentException">The text is not one of the model's special tokens.</exception>
    public int TokenId(string text) =>
        Spec!.SpecialTokens.IdOf(text) ?? throw new ArgumentException($"'{text}' is not a special token of {TemplateName}.", nameof(text));

    /// <summary>Skips the calling test when ../shared/templates is absent.</summary>
    public void SkipIfAbsent() => Skip.If(Server is null, "../shared/templates is not present");

    public async Task InitializeAsync()
    {
        if (TestModels.ForTemplate(TemplateName) is not { } model)
            return;
        Spec = model.Spec;
        Server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = model.Path });
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
