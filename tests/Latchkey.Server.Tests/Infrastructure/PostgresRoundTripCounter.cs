using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a PostgreSQL server that counts round trips: the exchanges a client sends and
/// waits for (see <see cref="CountAndCopyAsync"/>). Connect through <see cref="ConnectionString"/> (no TLS or GSS
/// encryption, so the messages can be read).
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
            var up = CountAndCopyAsync(client.GetStream(), server.GetStream(), linked.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), linked.Token);
            await Task.WhenAny(up, down);
            await linked.CancelAsync(); // either side closing ends the relay
            await Task.WhenAll(up.ContinueWith(_ => { }, TaskScheduler.Default), down.ContinueWith(_ => { }, TaskScheduler.Default));
        }
    }

    /// <summary>
    /// Reads the client's messages as they pass: the first on a connection (start-up or cancel request) has no type
    /// byte, every later one is a type byte and a big-endian length counting itself. A round trip is an exchange the
    /// client then waits for: a Sync ('S', the end of an extended-protocol batch) or a simple Query ('Q') — except the
    /// `BEGIN …` query Npgsql writes ahead of a transaction's first command, which goes out with that command and is
    /// answered with it. Counted from what the client sends, not from when the server answers, so the count does not
    /// depend on timing (the server may answer the BEGIN while the rest of a large command is still arriving).
    /// </summary>
    private async Task CountAndCopyAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var header = new byte[5];
        var headerLength = 4; // the untyped first message
        var headerFilled = 0;
        var bodyLeft = 0;
        var queryStart = new byte[5];
        var queryFilled = -1; // >= 0 while the start of a Query's text is being read
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            for (var i = 0; i < read;)
            {
                if (bodyLeft > 0)
                {
                    var take = Math.Min(bodyLeft, read - i);
                    for (var k = 0; queryFilled >= 0 && queryFilled < queryStart.Length && k < take; k++)
                    {
                        queryStart[queryFilled++] = buffer[i + k];
                    }

                    bodyLeft -= take;
                    i += take;
                    if (queryFilled >= 0 && (queryFilled == queryStart.Length || bodyLeft == 0))
                    {
                        if (!queryStart.AsSpan(0, queryFilled).SequenceEqual("BEGIN"u8))
                        {
                            Interlocked.Increment(ref roundTrips);
                        }

                        queryFilled = -1;
                    }

                    continue;
                }

                header[headerFilled++] = buffer[i++];
                if (headerFilled < headerLength)
                {
                    continue;
                }

                var type = headerLength == 5 ? header[0] : (byte)0;
                bodyLeft = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(headerLength - 4)) - 4;
                (headerFilled, headerLength) = (0, 5);
                if (type == (byte)'S')
                {
                    Interlocked.Increment(ref roundTrips);
                }
                else if (type == (byte)'Q')
                {
                    queryFilled = 0;
                }
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }
}
