using System.Text;
using InferenceServer.Api.Output;

namespace InferenceServer.Api.Generation;

/// <summary>One choice's whole reply, assembled from its events for a non-streaming response.</summary>
public sealed class ChoiceReply(bool withLogprobs)
{
    private readonly StringBuilder _content = new();
    private readonly StringBuilder _reasoning = new();
    private readonly List<(string Id, string Name, StringBuilder Arguments)> _calls = [];

    /// <summary>The content text.</summary>
    public string Content => _content.ToString();

    /// <summary>The reasoning text, or null when there was none.</summary>
    public string? Reasoning => _reasoning.Length == 0 ? null : _reasoning.ToString();

    /// <summary>The calls made (id, name, arguments JSON text), in order.</summary>
    public IReadOnlyList<(string Id, string Name, string Arguments)> ToolCalls =>
        _calls.Select(c => (c.Id, c.Name, c.Arguments.ToString())).ToList();

    /// <summary>The wire finish reason, once the choice ended.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>The content tokens' logprobs when asked for, else null.</summary>
    public List<OutputLogprob>? Logprobs { get; } = withLogprobs ? [] : null;

    /// <summary>Takes in one of the choice's events.</summary>
    public void Observe(GenerationEvent e)
    {
        _content.Append(e.Text);
        _reasoning.Append(e.Reasoning);
        foreach (ToolCallDelta d in e.ToolCalls)
        {
            if (d.Id is not null && d.Name is not null)
                _calls.Add((d.Id, d.Name, new StringBuilder()));
            _calls[^1].Arguments.Append(d.Arguments);
        }
        Logprobs?.AddRange(e.Logprobs ?? []);
        FinishReason = e.WireFinishReason ?? FinishReason;
    }
}
