using System.Data.Common;

namespace Latchkey.Server.Storage;

/// <summary>Opens connections to the configured engine. Repositories are written once against this.</summary>
public interface IDbConnectionFactory
{
    DatabaseEngine Engine { get; }

    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A connection that neither comes from nor waits on the pool requests draw from, for a read that can happen while
    /// the calling flow already holds a pooled connection: Data Protection reads its key ring from inside whatever call
    /// needs a key it has not loaded (an Unprotect in the refresh grant's transaction). From the pool, that read could
    /// wait for a connection its own caller holds, and with every connection held by such callers none would come
    /// back. Rare (a key ring is read at start-up, once a day and on an unknown key), so it may cost a fresh connection.
    /// </summary>
    ValueTask<DbConnection> OpenOutsidePoolAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);
}
