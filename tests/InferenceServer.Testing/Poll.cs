namespace InferenceServer.Testing;

/// <summary>Waits for a condition by polling it, for state that announces no change (engine stats, readiness).</summary>
public static class Poll
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Returns once <paramref name="condition"/> holds, checking it every <paramref name="interval"/> (default 10 ms).</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="limit"/>; the message is <paramref name="failure"/>.</exception>
    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, string failure, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), limit, () => failure, interval);

    /// <inheritdoc cref="UntilAsync(Func{bool}, TimeSpan, string, TimeSpan?)"/>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string failure, TimeSpan? interval = null) =>
        UntilAsync(condition, limit, () => failure, interval);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; on timeout the message is <paramref name="failure"/> evaluated
    /// then, so it can show the state that kept the condition from holding.
    /// </summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="limit"/>.</exception>
    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, Func<string> failure, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), limit, failure, interval);

    /// <inheritdoc cref="UntilAsync(Func{bool}, TimeSpan, Func{string}, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string> failure, TimeSpan? interval = null) =>
        await UntilAsync(condition, done => done, limit, _ => failure(), interval);

    /// <summary>Reads <paramref name="read"/> until <paramref name="done"/> holds for what it returned, and returns that.</summary>
    /// <exception cref="TimeoutException">
    /// Not within <paramref name="limit"/>; the message is <paramref name="failure"/> of the last value read.
    /// </exception>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit, Func<T, string> failure,
        TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException(failure(value));
            await Task.Delay(interval ?? DefaultInterval);
        }
    }
}
