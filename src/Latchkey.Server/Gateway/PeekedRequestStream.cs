using System.Buffers;

namespace Latchkey.Server.Gateway;

/// <summary>
/// The request body as forwarded: first the bounded prefix the gateway read to find the model, then the rest straight
/// from the client, still passing through the <see cref="JsonModelScanner"/>. If the rest turns out ambiguous (a second
/// top-level `model`), reading fails, so the upstream receives a broken-off body and acts on nothing.
/// </summary>
public sealed class PeekedRequestStream : Stream
{
    private readonly Stream inner;
    private readonly JsonModelScanner scanner;
    private byte[]? prefix;
    private readonly int prefixLength;
    private int prefixOffset;

    private PeekedRequestStream(Stream inner, JsonModelScanner scanner, byte[] prefix, int prefixLength)
    {
        this.inner = inner;
        this.scanner = scanner;
        this.prefix = prefix;
        this.prefixLength = prefixLength;
        BytesRead = prefixLength;
    }

    public JsonModelScanner Scanner => scanner;

    /// <summary>Bytes read from the client so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Whether the client's body ended inside the prefix.</summary>
    public bool EndedInPrefix { get; private set; }

    /// <summary>Reads until the model is known, the object ends, the body ends, or <paramref name="limit"/> bytes are held.</summary>
    public static async Task<PeekedRequestStream> PeekAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var scanner = new JsonModelScanner();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 16 * 1024));
        var length = 0;
        var ended = false;
        try
        {
            while (scanner.State == JsonModelScannerState.Scanning && scanner.Model is null && !scanner.Complete && length < limit)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit) - length), cancellationToken);
                if (read == 0)
                {
                    ended = true;
                    break;
                }

                scanner.Feed(buffer.AsSpan(length, read));
                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PeekedRequestStream(body, scanner, buffer, length) { EndedInPrefix = ended };
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (prefix is not null && prefixOffset < prefixLength)
        {
            var n = Math.Min(buffer.Length, prefixLength - prefixOffset);
            prefix.AsMemory(prefixOffset, n).CopyTo(buffer);
            prefixOffset += n;
            return n;
        }

        ReleasePrefix();
        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (scanner.State == JsonModelScannerState.Scanning)
        {
            scanner.Feed(buffer.Span[..read]);
            if (scanner.State == JsonModelScannerState.Ambiguous)
            {
                throw new InvalidDataException("The request body names its model more than once.");
            }
        }

        BytesRead += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        ReleasePrefix();
        base.Dispose(disposing);
    }

    private void ReleasePrefix()
    {
        if (prefix is not null)
        {
            ArrayPool<byte>.Shared.Return(prefix);
            prefix = null;
        }
    }
}
