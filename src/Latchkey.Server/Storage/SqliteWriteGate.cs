namespace Latchkey.Server.Storage;

/// <summary>
/// SQLite's one-writer turn, in this process: write transactions queue here in arrival order instead of sleeping in
/// SQLite's busy handler. Unlike a semaphore, the turn is handed straight from its holder to the next waiter, with
/// the writer connection when a write batch is still open on it (<see cref="SqliteWriteBatch"/>): deciding "someone
/// waits, so the batch stays open" and giving that waiter the turn happen under one lock, so a waiter that gives up
/// (timeout, cancellation) can never leave an open batch with nobody to commit it — it either is still queued and
/// leaves, or it was already given the turn (and the batch) and goes on with them.
/// </summary>
internal sealed class SqliteWriteGate
{
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource<PooledSqliteConnection?>> waiting = new();
    private bool held;

    /// <summary>Waits for the turn. Entered: true, with the writer connection when the previous holder handed on an open batch.</summary>
    public async ValueTask<(bool Entered, PooledSqliteConnection? Handed)> EnterAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (TakeOrQueue() is not { } node)
        {
            return (true, null);
        }

        try
        {
            return (true, await node.Value.Task.WaitAsync(timeout, cancellationToken));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            if (Leave(node))
            {
                if (e is OperationCanceledException)
                {
                    throw;
                }

                return (false, null);
            }

            // Given the turn as it gave up: it has the turn (and perhaps a batch), so it goes on.
            return (true, node.Value.Task.Result);
        }
    }

    public (bool Entered, PooledSqliteConnection? Handed) Enter(TimeSpan timeout)
    {
        if (TakeOrQueue() is not { } node)
        {
            return (true, null);
        }

        if (node.Value.Task.Wait(timeout) || !Leave(node))
        {
            return (true, node.Value.Task.Result);
        }

        return (false, null);
    }

    /// <summary>
    /// For the holder: gives the turn, with <paramref name="writer"/> and its open batch, to the first waiter. False when
    /// nobody waits: the caller keeps the turn (and commits the batch itself).
    /// </summary>
    public bool TryHandOn(PooledSqliteConnection writer)
    {
        TaskCompletionSource<PooledSqliteConnection?> next;
        lock (sync)
        {
            if (waiting.First is not { } first)
            {
                return false;
            }

            waiting.RemoveFirst();
            next = first.Value;
        }

        next.SetResult(writer);
        return true;
    }

    /// <summary>For the holder: the turn goes to the first waiter, or the gate is free.</summary>
    public void Exit()
    {
        TaskCompletionSource<PooledSqliteConnection?> next;
        lock (sync)
        {
            if (waiting.First is not { } first)
            {
                held = false;
                return;
            }

            waiting.RemoveFirst();
            next = first.Value;
        }

        next.SetResult(null);
    }

    /// <summary>Takes the free turn (null), or queues for it (the waiter's place).</summary>
    private LinkedListNode<TaskCompletionSource<PooledSqliteConnection?>>? TakeOrQueue()
    {
        lock (sync)
        {
            if (!held)
            {
                held = true;
                return null;
            }

            return waiting.AddLast(new TaskCompletionSource<PooledSqliteConnection?>(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>True when the waiter was still queued and has left; false when it had already been given the turn.</summary>
    private bool Leave(LinkedListNode<TaskCompletionSource<PooledSqliteConnection?>> node)
    {
        lock (sync)
        {
            if (node.List is null)
            {
                return false;
            }

            waiting.Remove(node);
            return true;
        }
    }
}
