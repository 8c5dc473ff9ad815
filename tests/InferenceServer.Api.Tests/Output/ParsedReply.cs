using System.Text;
using InferenceServer.Api.Output;

namespace InferenceServer.Api.Tests.Output;

/// <summary>A whole reply assembled from <see cref="OutputDelta"/>s, checking the streaming contract on the way.</summary>
internal sealed record ParsedReply(string Reasoning, string Content, IReadOnlyList<(string Id, string Name, string Arguments)> Calls)
{
    /// <summary>Feeds <paramref name="pieces"/> through a new parser and assembles the reply.</summary>
    public static ParsedReply Of(OutputParsing parsing, IEnumerable<string> pieces, bool cut = false)
    {
        int ids = 0;
        var parser = new ChoiceOutputParser(parsing, () => $"call_{ids++}");
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        var calls = new List<(string Id, string Name, StringBuilder Arguments)>();
        foreach (var delta in pieces.Select(parser.Add).Concat(new[] { 0 }.Select(_ => parser.Finish(cut))))
        {
            reasoning.Append(delta.Reasoning);
            content.Append(delta.Content);
            foreach (var call in delta.ToolCalls)
            {
                if (call.Index == calls.Count)
                {
                    // OpenAI's contract: a call's first piece has its id and name and empty arguments.
                    Assert.NotNull(call.Id);
                    Assert.NotNull(call.Name);
                    Assert.Equal("", call.Arguments);
                    calls.Add((call.Id!, call.Name!, new StringBuilder()));
                }
                else
                {
                    Assert.Equal(calls.Count - 1, call.Index);
                    Assert.Null(call.Id);
                    Assert.Null(call.Name);
                    calls[^1].Arguments.Append(call.Arguments);
                }
            }
        }
        return new(reasoning.ToString(), content.ToString(), calls.Select(c => (c.Id, c.Name, c.Arguments.ToString())).ToList());
    }

    /// <summary>Every way to cut <paramref name="text"/> in two, and one character at a time.</summary>
    public static IEnumerable<string[]> Splits(string text)
    {
        for (int i = 0; i <= text.Length; i++)
            yield return [text[..i], text[i..]];
        yield return text.Select(c => c.ToString()).ToArray();
    }
}
