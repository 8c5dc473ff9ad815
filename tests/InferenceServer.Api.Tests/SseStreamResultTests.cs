using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using InferenceServer.Api.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The SSE writer on fake time. The test waits at the writer's own resting points — it asked the source for the next
/// event, or armed its timer — before moving time, so every write's timestamp is exact.
/// </summary>
public sealed class SseStreamResultTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private const string KeepAlive = ": keep-alive\n\n";

    private readonly ArmingTimeProvider _time = new();
    private readonly Channel<string> _events = Channel.CreateUnbounded<string>();
    private readonly Channel<bool> _asked = Channel.CreateUnbounded<bool>();
    private readonly FlushRecorder _body;
    private bool _sourceCancelled;
    private bool _sourceEnded;

    public SseStreamResultTests() => _body = new FlushRecorder(_time);

    [Fact]
    public async Task Keep_alive_comments_are_written_only_after_a_full_interval_without_writes()
    {
        var http = new DefaultHttpContext();
        http.Response.Body = _body;
        var run = new SseStreamResult(Source(), Interval, _time).ExecuteAsync(http);
        await Asked();
        Assert.Equal(Interval, await Armed());
        Assert.Equal("text/event-stream", http.Response.ContentType);
        Assert.Equal("no-cache,no-store", http.Response.Headers.CacheControl);

        _time.Advance(Interval);
        Assert.Equal((5.0, KeepAlive), await Written());
        Assert.Equal(Interval, await Armed());

        await _events.Writer.WriteAsync("a");
        Assert.Equal((5.0, "data: a\n\n"), await Written());
        await Asked();
        _time.Advance(TimeSpan.FromSeconds(3));
        await _events.Writer.WriteAsync("b");
        Assert.Equal((8.0, "data: b\n\n"), await Written());
        await Asked();

        // The timer armed at 5 s fires at 10 s, 2 s after "b": it re-arms for the 3 s left instead of writing.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(3), await Armed());
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal((13.0, KeepAlive), await Written());
        Assert.Equal(Interval, await Armed());

        _events.Writer.Complete();
        await run;
        Assert.False(_body.Flushes.Reader.TryRead(out _));
        Assert.True(_sourceEnded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_heartbeat_of_zero_or_less_writes_only_events_and_arms_no_timer(int seconds)
    {
        var http = new DefaultHttpContext();
        http.Response.Body = _body;
        var run = new SseStreamResult(Source(), TimeSpan.FromSeconds(seconds), _time).ExecuteAsync(http);
        await Asked();
        _time.Advance(TimeSpan.FromHours(1));
        await _events.Writer.WriteAsync("{\"x\":1}\nsecond line\r\nthird");
        _events.Writer.Complete();
        await run;

        Assert.True(_body.Flushes.Reader.TryRead(out var write));
        Assert.Equal((3600.0, "data: {\"x\":1}\ndata: second line\ndata: third\n\n"), write);
        Assert.False(_body.Flushes.Reader.TryRead(out _));
        Assert.False(_time.Armings.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_failed_heartbeat_write_cancels_and_ends_the_waiting_source()
    {
        var http = new DefaultHttpContext();
        http.Response.Body = _body;
        var run = new SseStreamResult(Source(), Interval, _time).ExecuteAsync(http);
        await Asked();
        await Armed();

        _body.Fail = true;
        _time.Advance(Interval);

        await Assert.ThrowsAsync<IOException>(() => run);
        Assert.True(_sourceCancelled);
        Assert.True(_sourceEnded);
    }

    private async IAsyncEnumerable<string> Source([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            while (true)
            {
                _asked.Writer.TryWrite(true);
                bool more;
                try
                {
                    more = await _events.Reader.WaitToReadAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    _sourceCancelled = true;
                    throw;
                }
                if (!more)
                    yield break;
                yield return await _events.Reader.ReadAsync(cancellationToken);
            }
        }
        finally
        {
            _sourceEnded = true;
        }
    }

    private Task Asked() => _asked.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    private Task<TimeSpan> Armed() => _time.Armings.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    private Task<(double, string)> Written() => _body.Flushes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Fake time that reports the due time of every timer created on it.</summary>
    private sealed class ArmingTimeProvider : FakeTimeProvider
    {
        private readonly DateTimeOffset _start;

        public ArmingTimeProvider() => _start = GetUtcNow();

        public Channel<TimeSpan> Armings { get; } = Channel.CreateUnbounded<TimeSpan>();
        public double Seconds => (GetUtcNow() - _start).TotalSeconds;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Armings.Writer.TryWrite(dueTime);
            return timer;
        }
    }

    /// <summary>A response body that records what each flush sent, with the fake time of the flush.</summary>
    private sealed class FlushRecorder(ArmingTimeProvider time) : MemoryStream
    {
        private int _flushedUpTo;

        public Channel<(double Seconds, string Text)> Flushes { get; } = Channel.CreateUnbounded<(double, string)>();
        public bool Fail { get; set; }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Fail ? Task.FromException(new IOException("the client is gone")) : base.WriteAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Fail ? ValueTask.FromException(new IOException("the client is gone")) : base.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            if (Length > _flushedUpTo)
            {
                Flushes.Writer.TryWrite((time.Seconds, Encoding.UTF8.GetString(GetBuffer(), _flushedUpTo, (int)Length - _flushedUpTo)));
                _flushedUpTo = (int)Length;
            }
            return Task.CompletedTask;
        }
    }
}
