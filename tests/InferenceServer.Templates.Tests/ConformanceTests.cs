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
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f)!, File.ReadAllText);
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
                if (failingTemplates.Add(template))
                    failures.AppendLine(Describe(template, name, expected, ok, actual));
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

    /// <summary>The first mismatch of a template: both sides around the first differing character.</summary>
    private static string Describe(string template, string name, ReferenceRenderer.Result expected, bool ok, string actual)
    {
        if (!expected.Ok || !ok)
            return $"--- {template} / {name}\n  jinja2: {(expected.Ok ? "renders" : "raises " + expected.Error)}\n  engine: {(ok ? "renders" : "raises " + actual)}";
        var want = expected.Output!;
        int at = 0;
        while (at < want.Length && at < actual.Length && want[at] == actual[at]) at++;
        int from = Math.Max(0, at - 60);
        string Around(string s) => JsonValue.Create(s[Math.Min(from, s.Length)..Math.Min(s.Length, at + 60)])!.ToJsonString();
        return $"--- {template} / {name}: first difference at {at}\n  jinja2: {Around(want)}\n  engine: {Around(actual)}";
    }
}
