using InferenceServer.Engine.Execution;

namespace InferenceServer.Engine.Tests;

/// <summary>Log-softmax of a logits row: exact values, numerical stability, order and ties of the top list.</summary>
public sealed class LogprobRowTests
{
    [Fact]
    public void Values_are_the_log_softmax_of_the_row()
    {
        float[] logits = [1f, 3f, 2f, -1f];
        double logSumExp = Math.Log(logits.Sum(x => Math.Exp(x)));

        var row = LogprobRow.Compute(logits, 2);

        Assert.Equal([1, 2], row.Top.Select(t => t.TokenId));
        Assert.Equal((float)(3 - logSumExp), row.Top[0].Logprob);
        Assert.Equal((float)(2 - logSumExp), row.Top[1].Logprob);
        var sampled = row.For(3);
        Assert.Equal(3, sampled.TokenId);
        Assert.Equal((float)(-1 - logSumExp), sampled.Logprob);
        Assert.Same(row.Top, sampled.Top);
        // A sampler that edits the row afterwards (a mask, a bias) does not change what was read.
        logits[3] = 50f;
        Assert.Equal(sampled.Logprob, row.For(3).Logprob);
    }

    [Fact]
    public void Huge_logits_do_not_overflow()
    {
        // exp(1000) overflows a double: only the max-subtracted sum stays finite.
        float[] logits = [1000f, 999f, -10000f];

        var row = LogprobRow.Compute(logits, 3);

        Assert.Equal((float)-Math.Log(1 + Math.Exp(-1)), row.Top[0].Logprob);
        Assert.Equal((float)(-1 - Math.Log(1 + Math.Exp(-1))), row.Top[1].Logprob);
        Assert.Equal(LogprobRow.Floor, row.Top[2].Logprob);
    }

    [Fact]
    public void Top_list_is_descending_with_ties_by_token_id_and_sums_to_at_most_one()
    {
        var random = new Random(7);
        // Few distinct values over a large row: many ties, as in a quantized model.
        float[] logits = Enumerable.Range(0, 32000).Select(_ => (float)random.Next(0, 40) / 4).ToArray();

        var row = LogprobRow.Compute(logits, 20);

        var expected = logits.Select((x, id) => (x, id)).OrderByDescending(t => t.x).ThenBy(t => t.id).Take(20).Select(t => t.id);
        Assert.Equal(expected, row.Top.Select(t => t.TokenId));
        for (int i = 1; i < row.Top.Count; i++)
            Assert.True(row.Top[i - 1].Logprob >= row.Top[i].Logprob);
        Assert.True(row.Top.Sum(t => Math.Exp(t.Logprob)) <= 1 + 1e-6);
        Assert.Equal(1.0, logits.Sum(x => Math.Exp(row.Of(x))), 4);
    }

    [Fact]
    public void Zero_top_tokens_still_give_the_sampled_logprob_and_nan_is_the_floor()
    {
        float[] logits = [0f, float.NaN, 0f];

        var row = LogprobRow.Compute([0f, 0f], 0);

        Assert.Empty(row.Top);
        Assert.Equal(MathF.Log(0.5f), row.For(1).Logprob, 6);
        Assert.Equal(LogprobRow.Floor, LogprobRow.Compute(logits, 3).For(1).Logprob);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogprobRow.Compute(logits, 4));
    }
}
