using System.Data.Common;
using System.Threading.Channels;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Audit;

/// <summary>
/// Writes high-volume usage events (<c>gateway.request</c>, <c>access_token.used</c>) off the request path: a request
/// queues its event and goes on; one background writer drains the queue and inserts what it finds in one transaction
/// per batch, so a burst of N requests costs one commit (one fsync on SQLite) instead of N, outside their latency.
/// Nothing is dropped: a full queue makes the request wait for room (back-pressure), a failed batch is retried, and
/// stopping the host writes out everything queued before <see cref="StopAsync"/> returns. Events that record a state
/// change (revocations, role changes, grants) are not queued: they commit in the transaction of the change itself.
/// </summary>
public sealed partial class BackgroundAuditWriter : IHostedService, IDisposable
{
    public const int DefaultCapacity = 8192;
    public const int MaxBatch = 512;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly AuditRepository repository;
    private readonly ILogger<BackgroundAuditWriter> logger;
    private readonly Channel<object> queue;

    // Cancelled only when the host gives up waiting for the final flush (its shutdown timeout): then what is still
    // queued is counted in the log as lost rather than retried forever.
    private readonly CancellationTokenSource abandon = new();
    private Task? loop;

    public BackgroundAuditWriter(AuditRepository repository, ILogger<BackgroundAuditWriter> logger)
        : this(repository, logger, DefaultCapacity)
    {
    }

    internal BackgroundAuditWriter(AuditRepository repository, ILogger<BackgroundAuditWriter> logger, int capacity)
    {
        this.repository = repository;
        this.logger = logger;
        queue = Channel.CreateBounded<object>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Queues an event; waits while the queue is full. After shutdown began, writes it directly instead.</summary>
    public async ValueTask EnqueueAsync(AuditEventRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (queue.Writer.TryWrite(row))
        {
            return;
        }

        try
        {
            await queue.Writer.WriteAsync(row, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // A request still in flight after the writer stopped: the event is written on its own, not lost.
            await repository.AppendAsync(row, cancellationToken);
        }
    }

    /// <summary>Completes once every event queued before this call is committed (tests and operator commands).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await queue.Writer.WriteAsync(done, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return; // stopped: everything was written by the final drain
        }

        await done.Task.WaitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop ??= Task.Run(DrainAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking events and writes out what is queued; gives up (and logs the count) only when the host's shutdown timeout cancels.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();

        // Never started (start-up failed after events were queued): drain now all the same.
        loop ??= Task.Run(DrainAsync, CancellationToken.None);
        using var registration = cancellationToken.Register(abandon.Cancel);
        await loop;
    }

    private async Task DrainAsync()
    {
        var batch = new List<AuditEventRow>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item))
            {
                if (item is AuditEventRow row)
                {
                    batch.Add(row);
                }
                else
                {
                    flushes.Add((TaskCompletionSource)item);
                }
            }

            var written = batch.Count == 0 || await WriteAsync(batch);
            batch.Clear();
            foreach (var flush in flushes)
            {
                flush.TrySetResult();
            }

            flushes.Clear();
            if (!written)
            {
                return;
            }
        }
    }

    public void Dispose() => abandon.Dispose();

    /// <summary>False only when shutdown gave up on it.</summary>
    private async Task<bool> WriteAsync(List<AuditEventRow> batch)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await repository.AppendBatchAsync(batch, CancellationToken.None);
                return true;
            }
            catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
            {
                LogBatchFailed(logger, batch.Count, ex);
            }

            try
            {
                // Real time on purpose: this paces retries against the database, it is not a protocol time.
                await Task.Delay(delay, abandon.Token);
            }
            catch (OperationCanceledException)
            {
                LogAbandoned(logger, batch.Count + queue.Reader.Count);
                return false;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Writing {Count} queued audit events failed; retrying")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Shutdown timed out with {Count} audit events not written")]
    private static partial void LogAbandoned(ILogger logger, int count);
}
