using System.Text;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>An HTTP handler that keeps every response body byte its client reads, so tests can see what an SDK was sent.</summary>
public sealed class RecordingHandler() : DelegatingHandler(new HttpClientHandler())
{
    private readonly MemoryStream _bytes = new();

    /// <summary>Everything read so far, decoded as UTF-8.</summary>
    public string Text
    {
        get { lock (_bytes) return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length); }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var original = response.Content;
        var recorded = new StreamContent(new TeeStream(await original.ReadAsStreamAsync(cancellationToken), this));
        foreach (var header in original.Headers)
            recorded.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = recorded;
        return response;
    }

    private void Record(ReadOnlySpan<byte> bytes)
    {
        lock (_bytes)
            _bytes.Write(bytes);
    }

    private sealed class TeeStream(Stream inner, RecordingHandler recorder) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            recorder.Record(buffer.AsSpan(offset, n));
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            recorder.Record(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
