using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Templates.Tests;

/// <summary>Runs reference_render.py (Python jinja2, as Hugging Face renders) over a batch of cases in one process.</summary>
internal static class ReferenceRenderer
{
    /// <summary>One case's render; <paramref name="Seconds"/> is jinja2's mean render time when timing was asked for.</summary>
    public sealed record Result(bool Ok, string? Output, string? Error, double? Seconds = null);

    /// <summary>True when python3 with jinja2 can be started.</summary>
    public static bool IsAvailable()
    {
        try
        {
            var (code, _, _) = Run("-c \"import jinja2\"", null);
            return code == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static List<Result> Render(Dictionary<string, string> templates, List<(string Template, JsonObject Variables)> cases, DateTime now,
        int? repeat = null)
    {
        var request = new JsonObject
        {
            ["now"] = now.ToString("yyyy-MM-ddTHH:mm:ss"),
            ["templates"] = new JsonObject(templates.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))),
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)new JsonObject
            {
                ["template"] = c.Template,
                ["variables"] = c.Variables.DeepClone(),
            }).ToArray()),
        };
        if (repeat is not null) request["repeat"] = repeat;
        var script = Path.Combine(AppContext.BaseDirectory, "reference_render.py");
        var (code, stdout, stderr) = Run($"\"{script}\"", request.ToJsonString());
        if (code != 0) throw new InvalidOperationException($"reference renderer failed: {stderr}");
        return JsonSerializer.Deserialize<List<JsonObject>>(stdout)!
            .Select(r => new Result((bool)r["ok"]!, (string?)r["output"], (string?)r["error"], (double?)r["seconds"])).ToList();
    }

    private static (int, string, string) Run(string arguments, string? stdin)
    {
        var psi = new ProcessStartInfo("python3", arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        using var process = Process.Start(psi)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill();
            throw new TimeoutException("the reference renderer did not finish within 5 minutes");
        }
        return (process.ExitCode, stdoutTask.Result, stderrTask.Result);
    }
}
