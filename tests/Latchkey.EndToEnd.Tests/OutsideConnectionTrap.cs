using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// A loopback HTTP(S) proxy that every codex process in the tests is pointed at (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY;
/// loopback is exempt through NO_PROXY). It connects nothing: each CONNECT or absolute-URL request is refused with
/// 403 and its host is counted, so a test can assert that codex tried to reach no outside host.
/// </summary>
public sealed class OutsideConnectionTrap : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<string> attempts = new();
    private readonly Task accepting;

    public OutsideConnectionTrap()
    {
        listener.Start();
        accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>"host:port" of every refused attempt, in order.</summary>
    public IReadOnlyList<string> Attempts => [.. attempts];

    /// <summary>The environment that sends every outside connection of a process here.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HTTP_PROXY"] = Url, ["HTTPS_PROXY"] = Url, ["ALL_PROXY"] = Url,
        ["http_proxy"] = Url, ["https_proxy"] = Url, ["all_proxy"] = Url,
        ["NO_PROXY"] = "127.0.0.1,localhost,::1", ["no_proxy"] = "127.0.0.1,localhost,::1",
    };

    /// <summary>Fails the test, naming every host codex tried to reach, unless it tried none.</summary>
    public void AssertNoAttempts() => Assert.True(attempts.IsEmpty, "codex tried to reach: " + string.Join(", ", Attempts));

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = RefuseAsync(client);
        }
    }

    private async Task RefuseAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (head.Length < 8192 && !head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stream.ReadAsync(buffer, stop.Token) == 0)
                    {
                        break;
                    }

                    head.Append((char)buffer[0]);
                }

                var requestLine = head.ToString().Split("\r\n")[0].Split(' ');
                if (requestLine.Length >= 2)
                {
                    attempts.Enqueue(Target(requestLine[0], requestLine[1]));
                }

                await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), stop.Token);
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static string Target(string method, string target)
    {
        if (method == "CONNECT")
        {
            return target;
        }

        return Uri.TryCreate(target, UriKind.Absolute, out var uri) ? $"{uri.Host}:{uri.Port}" : target;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
