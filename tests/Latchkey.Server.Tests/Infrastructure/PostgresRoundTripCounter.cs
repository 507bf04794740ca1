using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a PostgreSQL server that counts round trips: the times a client sends again
/// after the server has answered. The server ends each answer with ReadyForQuery ('Z'; one per Sync or simple query,
/// so a pipelined BEGIN and command bring two in one round trip), and a client sends nothing between two answers it
/// waits for, so a send that follows a 'Z' starts a round trip. Connect through <see cref="ConnectionString"/> (no TLS
/// or GSS encryption, so the server's messages can be read).
/// </summary>
public sealed class PostgresRoundTripCounter : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> relays = [];
    private int roundTrips;

    private PostgresRoundTripCounter(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        (targetHost, targetPort) = (target.Host ?? "127.0.0.1", target.Port);
        listener.Start();
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)listener.LocalEndpoint).Port,
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
        }.ConnectionString;
        relays.Add(AcceptAsync());
    }

    public string ConnectionString { get; }

    /// <summary>Round trips since the start or the last <see cref="Reset"/>, over every connection.</summary>
    public int RoundTrips => Volatile.Read(ref roundTrips);

    public static PostgresRoundTripCounter Start(string connectionString) => new(connectionString);

    public void Reset() => Interlocked.Exchange(ref roundTrips, 0);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        Task[] running;
        lock (relays)
        {
            running = [.. relays];
        }

        await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (relays)
            {
                relays.Add(RelayAsync(client));
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(targetHost, targetPort, stopping.Token);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            var answered = new StrongBox<bool>(true);
            var up = CopyAsync(client.GetStream(), server.GetStream(), answered, fromServer: false, linked.Token);
            var down = CopyAsync(server.GetStream(), client.GetStream(), answered, fromServer: true, linked.Token);
            await Task.WhenAny(up, down);
            await linked.CancelAsync(); // either side closing ends the relay
            await Task.WhenAll(up.ContinueWith(_ => { }, TaskScheduler.Default), down.ContinueWith(_ => { }, TaskScheduler.Default));
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, StrongBox<bool> answered, bool fromServer, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var header = new byte[5];
        var headerFilled = 0;
        var bodyLeft = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (!fromServer && Interlocked.Exchange(ref answered.Value, false))
            {
                Interlocked.Increment(ref roundTrips);
            }

            // Every message from the server is framed: a type byte, then a big-endian length counting itself.
            for (var i = 0; fromServer && i < read;)
            {
                if (bodyLeft > 0)
                {
                    var skip = Math.Min(bodyLeft, read - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }

                header[headerFilled++] = buffer[i++];
                if (headerFilled == header.Length)
                {
                    if (header[0] == (byte)'Z')
                    {
                        Volatile.Write(ref answered.Value, true);
                    }

                    bodyLeft = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4;
                    headerFilled = 0;
                }
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }
}
