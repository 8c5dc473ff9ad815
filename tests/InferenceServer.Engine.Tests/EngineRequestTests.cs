using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

/// <summary>A request owns its choices' sequences, is the one place that knows which choices run, and gets one output per step.</summary>
public class EngineRequestTests
{
    private long _nextId = 1000;

    // A request of `n` choices: one sequence per choice, or (replicated) one sequence serving all.
    private EngineRequest AddRequest(SchedulerHarness h, int[] prompt, int maxTokens, int n, bool replicated)
    {
        var sampling = new SamplingParams { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = true };
        var sequences = Enumerable.Range(0, replicated ? 1 : n)
            .Select(i => new Sequence(++_nextId, prompt, sampling, DateTimeOffset.UtcNow, choiceIndex: i)).ToList();
        var request = new EngineRequest(++_nextId, sequences, n);
        foreach (var s in sequences)
        {
            h.All[s.SequenceId] = s;
            h.Results[s.SequenceId] = [];
        }
        h.Core.Add(request);
        return request;
    }

    [Fact]
    public void Each_step_emits_one_output_per_request_with_a_result_per_live_choice()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var three = AddRequest(h, [1, 2, 3, 4, 5], maxTokens: 3, n: 3, replicated: false);
        var one = AddRequest(h, [7, 8], maxTokens: 2, n: 1, replicated: false);

        h.RunToIdle();

        Assert.All(h.Outputs, step => Assert.Equal(step.Count, step.Select(o => o.RequestId).Distinct().Count()));
        var ofThree = h.Outputs.SelectMany(step => step).Where(o => o.RequestId == three.RequestId).ToList();
        Assert.Equal(3, ofThree.Count);                                           // three tokens, one output per step
        Assert.All(ofThree, o => Assert.Equal([0, 1, 2], o.Results.Select(r => r.ChoiceIndex)));
        Assert.Equal([false, false, true], ofThree.Select(o => o.Finished));
        var ofOne = h.Outputs.SelectMany(step => step).Where(o => o.RequestId == one.RequestId).ToList();
        Assert.Equal([false, true], ofOne.Select(o => o.Finished));
        Assert.True(three.IsFinished);
        Assert.Equal(0, h.Scheduler.Requests.Count);
    }

    [Fact]
    public void A_replicated_request_hands_its_one_sequence_to_every_choice()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var request = AddRequest(h, [1, 2, 3, 4, 5], maxTokens: 4, n: 3, replicated: true);

        var first = h.Step();

        Assert.Single(first.Scheduled);
        Assert.Empty(first.Scheduled[0].Forks);
        var output = Assert.Single(h.Outputs[^1]);
        Assert.Equal([0, 1, 2], output.Results.Select(r => r.ChoiceIndex));
        Assert.Single(output.Results.Select(r => r.TokenId).Distinct());
        Assert.All(output.Results, r => Assert.Equal(request.Sequences[0].SequenceId, r.SequenceId));
        h.RunToIdle();
        var last = h.Outputs.Last(step => step.Count > 0).Single();
        Assert.True(last.Finished);
        Assert.Equal(3, last.Results.Count(r => r.FinishReason == FinishReason.Length));
        Assert.Equal(0, request.NumLiveChoices);
    }

    [Fact]
    public void Ending_a_replicated_choice_drops_only_its_results_and_the_last_one_cancels_the_sequence()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var request = AddRequest(h, [1, 2, 3, 4, 5], maxTokens: 20, n: 3, replicated: true);
        h.Step();

        Assert.Empty(h.Core.Abort(request.RequestId, 1));                       // the sequence still serves choices 0 and 2
        h.Step();

        Assert.Equal([0, 2], h.Outputs[^1].Single().Results.Select(r => r.ChoiceIndex));
        Assert.False(request.IsLive(1));
        Assert.Equal(SequenceStatus.Running, request.Sequences[0].Status);

        Assert.Empty(h.Core.Abort(request.RequestId, 0));                       // the sequence still serves choice 2
        var last = Assert.Single(h.Core.Abort(request.RequestId, 2));
        Assert.True(last.Finished);
        Assert.Empty(last.Results);                                             // no result for a choice its client ended
        Assert.Equal(SequenceStatus.FinishedAborted, request.Sequences[0].Status);
        Assert.Equal(16, h.Kv.NumFreeBlocks);
        Assert.False(h.Scheduler.HasWork);
        Assert.Empty(h.Core.Abort(request.RequestId, 2));
        h.CheckInvariants();
    }

    [Fact]
    public void Ending_one_choice_cancels_its_sequence_and_no_result_of_it_follows()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var request = AddRequest(h, [1, 2, 3, 4, 5], maxTokens: 6, n: 3, replicated: false);
        h.Step();

        var outputs = h.Core.Abort(request.RequestId, 1);

        Assert.Empty(outputs);                                                   // nothing to say: choice 1 ended silently
        Assert.Equal(SequenceStatus.FinishedAborted, request.Sequences[1].Status);
        Assert.Equal(SequenceStatus.Running, request.Sequences[0].Status);
        Assert.Equal(2, request.NumLiveChoices);
        h.RunToIdle();
        Assert.Single(h.Results[request.Sequences[1].SequenceId]);             // its first token only, from before the abort
        Assert.Equal(6, h.Results[request.Sequences[2].SequenceId].Count);
        Assert.DoesNotContain(h.Outputs.Skip(1).SelectMany(step => step).SelectMany(o => o.Results), r => r.ChoiceIndex == 1);
        Assert.True(h.Outputs.SelectMany(step => step).Last().Finished);
        h.CheckInvariants();
    }

    [Fact]
    public void Aborting_a_request_ends_every_live_choice_with_abort_in_one_output()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var request = AddRequest(h, [1, 2, 3, 4, 5], maxTokens: 20, n: 3, replicated: false);
        h.Step();
        h.Core.Abort(request.RequestId, 0);

        var output = Assert.Single(h.Core.Abort(request.RequestId));

        Assert.True(output.Finished);
        Assert.Equal([1, 2], output.Results.Select(r => r.ChoiceIndex));
        Assert.All(output.Results, r => Assert.Equal(FinishReason.Abort, r.FinishReason));
        Assert.Equal(16, h.Kv.NumFreeBlocks);
        Assert.Empty(h.Core.Abort(request.RequestId));
    }

    [Fact]
    public void A_request_refuses_sequences_that_do_not_match_its_choices()
    {
        var sampling = new SamplingParams { MaxTokens = 1 };
        Sequence Seq(long id, int choice) => new(id, [1], sampling, DateTimeOffset.UtcNow, choice);

        Assert.Throws<ArgumentException>(() => new EngineRequest(1, [Seq(1, 0), Seq(2, 1)], numChoices: 3));
        Assert.Throws<ArgumentException>(() => new EngineRequest(1, [Seq(1, 0), Seq(2, 2)]));
        Assert.Throws<ArgumentException>(() => new EngineRequest(1, []));
        Assert.True(new EngineRequest(1, [Seq(1, 0)], numChoices: 3).IsReplicated);
    }

    [Fact]
    public async Task The_stream_yields_no_result_of_a_choice_after_its_reader_ended_it_even_one_already_buffered()
    {
        var channel = Channel.CreateUnbounded<RequestOutput>();
        var aborts = new List<(long, int?)>();
        var stream = new GenerationStream(7, 70, numChoices: 2, numPromptTokens: 3, channel.Reader, (id, choice) => aborts.Add((id, choice)));
        StepResult Token(int choice, int token, FinishReason? finish = null) => new(70 + choice, token, false, finish, 3, 1, ChoiceIndex: choice);
        channel.Writer.TryWrite(new RequestOutput(7, [Token(0, 10), Token(1, 11)], false));
        channel.Writer.TryWrite(new RequestOutput(7, [Token(0, 20), Token(1, 21)], false));
        channel.Writer.TryWrite(new RequestOutput(7, [Token(0, 30, FinishReason.Length)], true));

        var seen = new List<(int Choice, int? Token)>();
        await foreach (var r in stream.ReadAllAsync())
        {
            seen.Add((r.ChoiceIndex, r.TokenId));
            if (r.TokenId == 11)
                stream.Abort(1);
        }

        Assert.Equal([(0, 10), (1, 11), (0, 20), (0, 30)], seen);
        Assert.Equal([(7L, (int?)1)], aborts);                                  // the finished request is not aborted again
        stream.Abort(1);
        await stream.DisposeAsync();
        Assert.Single(aborts);
    }

    [Fact]
    public void An_abort_between_steps_reaches_the_runner_only_inside_the_next_plan()
    {
        var h = new SchedulerHarness(numBlocks: 16, maxSequences: 4);
        var kept = h.Add(promptLength: 5, maxTokens: 20);
        var aborted = h.Add(promptLength: 6, maxTokens: 20, firstToken: 30);
        h.Step();
        int stream = Assert.NotNull(aborted.KvStream);

        Assert.Single(h.Core.Abort(aborted.SequenceId));

        Assert.Equal(16 - 2, h.Kv.NumFreeBlocks);                              // the books free at once: only kept's two blocks are held
        Assert.Equal((0, 5), h.Runner.GetStreamPositions(stream));             // the runner has not heard yet
        var plan = h.Step();
        Assert.Equal(aborted.SequenceId, Assert.Single(plan.Events.Released).SequenceId);
        Assert.Equal((-1, -1), h.Runner.GetStreamPositions(stream));
        Assert.Equal(SequenceStatus.Running, kept.Status);
        h.CheckInvariants();
    }
}
