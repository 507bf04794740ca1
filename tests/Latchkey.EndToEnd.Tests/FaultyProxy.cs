using System.Net;
using System.Net.Sockets;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// A loopback TCP proxy in front of the server that can lose answers: the request reaches the server (which acts on
/// it), and the answer is swallowed or held, as a network drop, a stalled link or a dying server would.
/// </summary>
public sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private int dropAnswers;
    private int connections;

    public FaultyProxy(int targetPort)
    {
        TargetPort = targetPort;
        listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Where connections go; change it to follow a restarted server.</summary>
    public int TargetPort { get; set; }

    public int Connections => Volatile.Read(ref connections);

    /// <summary>Called when the server's answer starts arriving, before anything of it is passed on.</summary>
    public Func<Task>? OnAnswer { get; set; }

    /// <summary>Swallows the next <paramref name="count"/> answers (the client sees the connection close).</summary>
    public void DropNextAnswers(int count) => Volatile.Write(ref dropAnswers, count);

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref connections);
            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var accepted = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, TargetPort, stop.Token);
            var clientStream = client.GetStream();
            var upstreamStream = upstream.GetStream();
            _ = clientStream.CopyToAsync(upstreamStream, stop.Token);
            var first = new byte[64 * 1024];
            var n = await upstreamStream.ReadAsync(first, stop.Token);
            if (n == 0)
            {
                return;
            }

            if (OnAnswer is { } onAnswer)
            {
                await onAnswer();
            }

            if (Interlocked.Decrement(ref dropAnswers) >= 0)
            {
                client.Client.LingerState = new LingerOption(true, 0); // reset: the answer is lost
                return;
            }

            await clientStream.WriteAsync(first.AsMemory(0, n), stop.Token);
            await upstreamStream.CopyToAsync(clientStream, stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server died or either side went away: the client sees the connection close.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        stop.Dispose();
    }
}
