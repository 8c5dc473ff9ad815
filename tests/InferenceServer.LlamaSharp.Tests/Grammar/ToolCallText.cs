using System.Text.Json.Nodes;
using InferenceServer.Engine.Tools;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>Reads the calls out of a tool-call grammar's output, per format (the test's own reading, not the server's parser).</summary>
internal static class ToolCallText
{
    // The (name, arguments) of each call in a format's output.
    public static List<(string Name, JsonNode? Arguments)> Calls(ToolCallFormat format, string text)
    {
        static (string, JsonNode?) Of(JsonNode call, string key) => (call["name"]!.GetValue<string>(), call[key]);
        switch (format)
        {
            case ToolCallFormat.Hermes:
                return [.. text.Split("\n</tool_call>", StringSplitOptions.RemoveEmptyEntries)
                    .Select(b => Of(JsonNode.Parse(b.TrimStart('\n')["<tool_call>\n".Length..])!, "arguments"))];
            case ToolCallFormat.Llama3Json:
                return [Of(JsonNode.Parse(text.StartsWith("<|python_tag|>") ? text["<|python_tag|>".Length..] : text)!, "parameters")];
            case ToolCallFormat.MistralJson:
                Assert.StartsWith("[TOOL_CALLS]", text);
                return [.. JsonNode.Parse(text["[TOOL_CALLS]".Length..])!.AsArray().Select(c => Of(c!, "arguments"))];
            case ToolCallFormat.MistralArgs:
                return [.. text.Split("[TOOL_CALLS]", StringSplitOptions.RemoveEmptyEntries).Select(c =>
                {
                    int args = c.IndexOf("[ARGS]", StringComparison.Ordinal);
                    string name = c[..args].Split("[CALL_ID]")[0];
                    return (name, JsonNode.Parse(c[(args + "[ARGS]".Length)..]));
                })];
            default:
                return [.. JsonNode.Parse(text)!["tool_calls"]!.AsArray().Select(c => Of(c!, "arguments"))];
        }
    }

}
