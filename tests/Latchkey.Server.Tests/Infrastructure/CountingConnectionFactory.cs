using System.Data.Common;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>Counts the connections the server opens, so a test can hold a hot path to its budget.</summary>
public sealed class CountingConnectionFactory(IDbConnectionFactory inner) : IDbConnectionFactory
{
    private int opened;

    public int Opened => Volatile.Read(ref opened);

    public DatabaseEngine Engine => inner.Engine;

    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref opened);
        return inner.OpenAsync(cancellationToken);
    }

    public void Reset() => Volatile.Write(ref opened, 0);
}
