using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// The live requests and which request each live sequence belongs to: turns the scheduler's per-sequence results into
/// one <see cref="RequestOutput"/> per request. Owned by the engine thread.
/// </summary>
internal sealed class RequestTable
{
    private readonly Dictionary<long, EngineRequest> _requests = [];
    private readonly Dictionary<long, EngineRequest> _bySequence = [];

    public int Count => _requests.Count;

    public void Add(EngineRequest request)
    {
        _requests.Add(request.RequestId, request);
        foreach (var sequence in request.Sequences)
            _bySequence.Add(sequence.SequenceId, request);
    }

    public EngineRequest? Find(long requestId) => _requests.GetValueOrDefault(requestId);

    public EngineRequest? OfSequence(long sequenceId) => _bySequence.GetValueOrDefault(sequenceId);

    /// <summary>
    /// Groups <paramref name="results"/> by request, in order of first appearance, through each request's live choices
    /// (see <see cref="EngineRequest.Expand"/>); <paramref name="touched"/> gets an output even without results when it
    /// finished. Finished requests leave the table.
    /// </summary>
    public IReadOnlyList<RequestOutput> Collect(IEnumerable<StepResult> results, EngineRequest? touched = null)
    {
        var order = new List<EngineRequest>();
        var byRequest = new Dictionary<EngineRequest, List<StepResult>>();
        if (touched is not null)
            Group(touched);
        foreach (var result in results)
            if (_bySequence.TryGetValue(result.SequenceId, out var request))
                request.Expand(result, Group(request));
        var outputs = new List<RequestOutput>(order.Count);
        foreach (var request in order)
        {
            var list = byRequest[request];
            if (list.Count == 0 && !request.IsFinished)
                continue;
            outputs.Add(new RequestOutput(request.RequestId, list, request.IsFinished));
            if (request.IsFinished)
                Remove(request);
        }
        return outputs;

        List<StepResult> Group(EngineRequest request)
        {
            if (!byRequest.TryGetValue(request, out var list))
            {
                byRequest[request] = list = [];
                order.Add(request);
            }
            return list;
        }
    }

    private void Remove(EngineRequest request)
    {
        _requests.Remove(request.RequestId);
        foreach (var sequence in request.Sequences)
            _bySequence.Remove(sequence.SequenceId);
    }
}
