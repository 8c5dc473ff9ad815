using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine.Sequences;

/// <summary>
/// A request inside the engine: its n choices and the sequences that compute them. Either one sequence per choice
/// (the first prefills the prompt, the others fork from it once it is computed), or — greedy choices, identical by
/// definition — one sequence that serves every choice. The one place that knows which choices still run.
/// Owned by the engine thread.
/// </summary>
public sealed class EngineRequest
{
    private readonly bool[] _live;

    /// <summary>A request over <paramref name="sequences"/>, choice i computed by sequence i, or all by the only one.</summary>
    /// <param name="requestId">Engine-wide unique id.</param>
    /// <param name="sequences">Sequence i has choice index i; the first prefills the prompt.</param>
    /// <param name="numChoices">Choices of the request; 0 means one per sequence.</param>
    /// <exception cref="ArgumentException">No sequence, a sequence with the wrong choice index, or several sequences for fewer or more choices.</exception>
    public EngineRequest(long requestId, IReadOnlyList<Sequence> sequences, int numChoices = 0)
    {
        if (sequences.Count == 0)
            throw new ArgumentException("A request needs at least one sequence.", nameof(sequences));
        NumChoices = Math.Max(numChoices, sequences.Count);
        if (sequences.Count != 1 && sequences.Count != NumChoices)
            throw new ArgumentException($"{sequences.Count} sequences cannot serve {NumChoices} choices.", nameof(sequences));
        for (int i = 0; i < sequences.Count; i++)
            if (sequences[i].ChoiceIndex != i)
                throw new ArgumentException($"Sequence {i} has choice index {sequences[i].ChoiceIndex}.", nameof(sequences));
        RequestId = requestId;
        Sequences = sequences;
        _live = Enumerable.Repeat(true, NumChoices).ToArray();
        NumLiveChoices = NumChoices;
    }

    /// <summary>Engine-wide unique id.</summary>
    public long RequestId { get; }
    /// <summary>Number of choices (OpenAI <c>n</c>).</summary>
    public int NumChoices { get; }
    /// <summary>The sequences computing the choices, in choice order.</summary>
    public IReadOnlyList<Sequence> Sequences { get; }
    /// <summary>True when one sequence serves every choice (greedy n &gt; 1).</summary>
    public bool IsReplicated => Sequences.Count < NumChoices;
    /// <summary>Choices that have neither finished nor been ended by the client.</summary>
    public int NumLiveChoices { get; private set; }
    /// <summary>True once no choice runs.</summary>
    public bool IsFinished => NumLiveChoices == 0;

    /// <summary>True while choice <paramref name="choiceIndex"/> runs.</summary>
    public bool IsLive(int choiceIndex) => _live[choiceIndex];

    /// <summary>The sequence computing choice <paramref name="choiceIndex"/>.</summary>
    public Sequence SequenceOf(int choiceIndex) => Sequences[IsReplicated ? 0 : choiceIndex];

    /// <summary>
    /// Adds to <paramref name="into"/> the result of one of the request's sequences once per live choice that sequence
    /// serves, tagged with the choice; a last result ends those choices. Results for ended choices are dropped.
    /// </summary>
    internal void Expand(StepResult result, List<StepResult> into)
    {
        foreach (int choice in ChoicesServedBy(result.ChoiceIndex))
        {
            if (!_live[choice])
                continue;
            into.Add(result.ChoiceIndex == choice ? result : result with { ChoiceIndex = choice });
            if (result.FinishReason is not null)
                End(choice);
        }
    }

    /// <summary>
    /// Ends choice <paramref name="choiceIndex"/> with no further result. Returns its sequence when no live choice needs
    /// it any more, so the caller cancels it; null when the choice had ended already or the sequence serves others.
    /// </summary>
    internal Sequence? EndChoice(int choiceIndex)
    {
        if (choiceIndex < 0 || choiceIndex >= NumChoices || !_live[choiceIndex])
            return null;
        End(choiceIndex);
        var sequence = SequenceOf(choiceIndex);
        return ChoicesServedBy(sequence.ChoiceIndex).Any(c => _live[c]) ? null : sequence;
    }

    private IEnumerable<int> ChoicesServedBy(int sequenceChoice) =>
        IsReplicated ? Enumerable.Range(0, NumChoices) : [sequenceChoice];

    private void End(int choice)
    {
        _live[choice] = false;
        NumLiveChoices--;
    }
}
