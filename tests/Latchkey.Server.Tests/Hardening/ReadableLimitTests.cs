using System.Net.Sockets;
using System.Text;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>
/// Over-limit bodies over a real socket (Kestrel, not the in-memory test server): the client uploads everything and only
/// then reads, as Python's urllib does, and must read a 413 (RFC 9110 §15.5.14), not a connection reset.
/// </summary>
public sealed class ReadableLimitTests(KestrelServerFixture server) : IClassFixture<KestrelServerFixture>
{
    private const int Upload = 2 * 1024 * 1024;

    private readonly int logStart = server.Factory.Log.Entries.Count;

    [Theory]
    [InlineData("/oauth/token", "application/x-www-form-urlencoded", "\"error\":\"invalid_request\"")]
    [InlineData("/oauth/revoke", "application/json", "\"error\":\"invalid_request\"")]
    [InlineData("/api/accounts/deviceauth/token", "application/json", "\"error\":\"invalid_request\"")]
    [InlineData("/api/v1/workspaces", "application/json", "\"code\":\"payload_too_large\"")]
    [InlineData("/account/login", "application/x-www-form-urlencoded", "too large")]
    public async Task OverLimitBody_WithContentLength_ClientReads413(string path, string contentType, string expectedBody)
    {
        var (status, body) = await UploadThenReadAsync(path, contentType, chunked: false);

        Assert.Equal(413, status);
        Assert.Contains(expectedBody, body, StringComparison.Ordinal);
        Assert.Empty(server.Factory.Log.WithStackTraces(logStart));
    }

    [Theory]
    [InlineData("/oauth/token", "application/json")]
    [InlineData("/api/accounts/deviceauth/token", "application/json")]
    public async Task OverLimitBody_Chunked_ClientReads413(string path, string contentType)
    {
        var (status, _) = await UploadThenReadAsync(path, contentType, chunked: true);

        Assert.Equal(413, status);
        Assert.Empty(server.Factory.Log.WithStackTraces(logStart));
    }

    /// <summary>Writes the whole request, then reads the status line and body; a reset on either side fails the test.</summary>
    private async Task<(int Status, string Body)> UploadThenReadAsync(string path, string contentType, bool chunked)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Address.Host, server.Address.Port, ct);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {server.Address.Authority}\r\nContent-Type: {contentType}\r\n"
            + (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {Upload}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        var block = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
        for (var sent = 0; sent < Upload; sent += block.Length)
        {
            if (chunked)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{block.Length:x}\r\n"), ct);
            }

            await stream.WriteAsync(block, ct);
            // Paced like an upload over a real network, so a server that answers and closes early does so mid-upload.
            await Task.Delay(5, ct);
            if (chunked)
            {
                await stream.WriteAsync("\r\n"u8.ToArray(), ct);
            }
        }

        if (chunked)
        {
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
        }

        return await ReadResponseAsync(stream, ct);
    }

    /// <summary>Just enough HTTP/1.1 to read one response: status line, headers, and a Content-Length or chunked body.</summary>
    private static async Task<(int Status, string Body)> ReadResponseAsync(NetworkStream stream, CancellationToken ct)
    {
        var received = new List<byte>();
        var one = new byte[1];
        while (!(received.Count >= 4 && received[^4] == '\r' && received[^3] == '\n' && received[^2] == '\r' && received[^1] == '\n'))
        {
            Assert.True(await stream.ReadAsync(one, ct) == 1, "The server closed the connection before answering.");
            received.Add(one[0]);
        }

        var head = Encoding.ASCII.GetString([.. received]).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var length = head.FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))?.Split(':')[1].Trim();
        var body = new List<byte>();
        if (length is not null)
        {
            var buffer = new byte[int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)];
            await stream.ReadExactlyAsync(buffer, ct);
            body.AddRange(buffer);
        }
        else
        {
            // Chunked: read until the terminating zero-length chunk.
            while (!(body.Count >= 5 && Encoding.ASCII.GetString([.. body.TakeLast(5)]) == "0\r\n\r\n"))
            {
                Assert.True(await stream.ReadAsync(one, ct) == 1, "The server closed the connection mid-answer.");
                body.Add(one[0]);
            }
        }

        return (status, Encoding.UTF8.GetString([.. body]));
    }
}
