using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>
/// With a KV stream per sequence, a decode call goes to llama.cpp in stream order (llama.cpp makes one pass over the
/// weights per run of consecutive sequence ids in batch order); the unified layout keeps the scheduler's order.
/// </summary>
public sealed class BatchOrderTests
{
    private static ScheduledSequence At(int stream, int tokens) =>
        new(100 + stream, stream, 0, Enumerable.Repeat(1, tokens).ToArray(), true, new SamplingParams(), Array.Empty<BlockHit>(), []);

    [Fact]
    public void Per_sequence_streams_go_in_slot_order_unified_keeps_the_schedulers()
    {
        ScheduledSequence[] scheduled = [At(5, 1), At(0, 1), At(7, 32), At(2, 1), At(1, 1)];

        Assert.Equal([0, 1, 2, 5, 7], LlamaModelRunner.BatchOrder(scheduled, perSequenceStreams: true).Select(s => s.KvStream));
        Assert.Equal([5, 0, 7, 2, 1], LlamaModelRunner.BatchOrder(scheduled, perSequenceStreams: false).Select(s => s.KvStream));
    }
}
