namespace InferenceServer.Engine.Execution;

/// <summary>
/// The log-softmax of one row of raw logits, reduced to what logprobs need: the normaliser and the top tokens.
/// Computed stably (the maximum is subtracted before exponentiating, the sum is taken in double), in one pass for
/// the normaliser and one for the top list; O(vocabulary × top) at worst, O(vocabulary) in practice. Keeps a copy of
/// the row, so samplers that edit the logits in place (masks, biases) cannot change what it reports.
/// </summary>
public sealed class LogprobRow
{
    /// <summary>Lowest log probability reported (OpenAI's value for "very unlikely"); -inf and NaN become it.</summary>
    public const float Floor = -9999f;

    private readonly double _logSumExp;
    private readonly float[] _logits;

    private LogprobRow(float[] logits, double logSumExp, IReadOnlyList<TokenLogprob> top)
    {
        _logits = logits;
        _logSumExp = logSumExp;
        Top = top;
    }

    /// <summary>The <c>numTop</c> most likely tokens, by log probability descending, ties by token id ascending.</summary>
    public IReadOnlyList<TokenLogprob> Top { get; }

    /// <summary>Summarises <paramref name="logits"/> (one value per token id) keeping <paramref name="numTop"/> top tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numTop"/> is negative or above the row's length.</exception>
    public static LogprobRow Compute(ReadOnlySpan<float> logits, int numTop)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numTop);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numTop, logits.Length);
        float max = float.NegativeInfinity;
        foreach (float x in logits)
            if (x > max)
                max = x;
        double sum = 0;
        foreach (float x in logits)
            sum += Math.Exp((double)x - max);
        double logSumExp = max + Math.Log(sum);
        var row = new LogprobRow(logits.ToArray(), logSumExp, []);
        if (numTop == 0)
            return row;
        int[] ids = TopTokens(logits, numTop);
        var top = new TokenLogprob[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            top[i] = new TokenLogprob(ids[i], row.Of(logits[ids[i]]));
        return new LogprobRow(row._logits, logSumExp, top);
    }

    /// <summary>The log probability of a token whose raw logit is <paramref name="logit"/>.</summary>
    public float Of(float logit)
    {
        double logprob = logit - _logSumExp;
        return double.IsNaN(logprob) || logprob < Floor ? Floor : (float)logprob;
    }

    /// <summary>The sampled token's log probabilities.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="tokenId"/> is outside the row.</exception>
    public TokenLogprobs For(int tokenId) => new(tokenId, Of(_logits[tokenId]), Top);

    // Ids of the k largest logits. Ids are visited in ascending order and a newcomer goes after equal values, so ties
    // keep ascending id order.
    private static int[] TopTokens(ReadOnlySpan<float> logits, int k)
    {
        var ids = new int[k];
        var values = new float[k];
        int count = 0;
        for (int id = 0; id < logits.Length; id++)
        {
            float x = logits[id];
            if (float.IsNaN(x) || (count == k && !(x > values[k - 1])))
                continue;
            int at = count == k ? k - 1 : count++;
            while (at > 0 && values[at - 1] < x)
            {
                values[at] = values[at - 1];
                ids[at] = ids[at - 1];
                at--;
            }
            values[at] = x;
            ids[at] = id;
        }
        return count == k ? ids : ids[..count];
    }
}
