using System.Data.Common;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>Counts database connections opened (each repository call opens one: one statement or one transaction).</summary>
public sealed class CountingConnectionFactory(IDbConnectionFactory inner) : IDbConnectionFactory, IAsyncDisposable
{
    /// <summary>The server's own factory (e.g. to clear the SQLite pool, as an operator moving the file would need).</summary>
    public IDbConnectionFactory Inner => inner;

    private int opened;

    public DatabaseEngine Engine => inner.Engine;

    public int Opened => Volatile.Read(ref opened);

    public void Reset() => Interlocked.Exchange(ref opened, 0);

    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref opened);
        return inner.OpenAsync(cancellationToken);
    }

    public DbConnection OpenOutsidePool()
    {
        Interlocked.Increment(ref opened);
        return inner.OpenOutsidePool();
    }

    // The server's factory is created inside this one, so the container disposes it only through this.
    public ValueTask DisposeAsync() => inner is IAsyncDisposable d ? d.DisposeAsync() : ValueTask.CompletedTask;
}
