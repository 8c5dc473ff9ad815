using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace InferenceServer.Templates.Tests;

/// <summary>
/// Every template in ../shared/templates, rendered with every conversation of <see cref="ConformanceCases"/> by this
/// engine and by Python jinja2 (reference_render.py); outputs must be identical, or both must raise.
/// </summary>
public sealed class ConformanceTests(ITestOutputHelper output)
{
    private static readonly DateTime Now = new(2026, 3, 7, 9, 5, 0);

    [SkippableFact]
    public void EveryTemplateRendersLikeJinja2()
    {
        var folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");

        var templates = Directory.EnumerateFiles(folder!, "*.jinja").Order()
            .ToDictionary(Path.GetFileNameWithoutExtension, File.ReadAllText);
        var conversations = ConformanceCases.All().ToList();
        var cases = templates.Keys.SelectMany(t => conversations.Select(c => (Template: t, c.Name, c.Variables))).ToList();
        var reference = ReferenceRenderer.Render(templates, cases.Select(c => (c.Template, c.Variables)).ToList(), Now);

        var time = new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var parsed = templates.ToDictionary(t => t.Key, t => TryParse(t.Value));
        int identical = 0, bothRaise = 0;
        var failures = new StringBuilder();
        var failingTemplates = new SortedSet<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var (template, name, variables) = cases[i];
            var expected = reference[i];
            var (ok, actual) = Render(parsed[template], variables, time);
            if (expected.Ok && ok && actual == expected.Output) identical++;
            else if (!expected.Ok && !ok) bothRaise++;
            else
            {
                failingTemplates.Add(template);
                if (failures.Length < 20_000)
                    failures.AppendLine($"--- {template} / {name}\n  jinja2: {(expected.Ok ? Show(expected.Output!) : "raises " + expected.Error)}\n  engine: {(ok ? Show(actual) : "raises " + actual)}");
            }
        }
        output.WriteLine($"templates: {templates.Count}, cases: {cases.Count}, identical: {identical}, both-raise: {bothRaise}, mismatched: {cases.Count - identical - bothRaise}");
        if (failingTemplates.Count > 0) output.WriteLine($"templates with mismatches: {string.Join(", ", failingTemplates)}");
        output.WriteLine(failures.ToString());
        Assert.True(failingTemplates.Count == 0, $"{failingTemplates.Count} templates differ from jinja2: {string.Join(", ", failingTemplates)}");
    }

    private static object TryParse(string source)
    {
        try { return ChatTemplate.Parse(source); }
        catch (TemplateException e) { return e; }
    }

    private static (bool, string) Render(object parsed, JsonObject variables, TimeProvider time)
    {
        if (parsed is TemplateException parseError) return (false, parseError.Message);
        var names = variables.ToDictionary(p => p.Key, p => (object?)p.Value);
        try { return (true, ((ChatTemplate)parsed).Render(names, time)); }
        catch (TemplateException e) { return (false, e.Message); }
    }

    private static string Show(string s) => s.Length > 1500 ? JsonValue.Create(s[..1500])!.ToJsonString() + "…" : JsonValue.Create(s)!.ToJsonString();
}
