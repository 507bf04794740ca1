using System.Data.Common;

namespace Latchkey.Server.Storage;

/// <summary>Opens connections to the configured engine. Repositories are written once against this.</summary>
public interface IDbConnectionFactory
{
    DatabaseEngine Engine { get; }

    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A connection, opened synchronously, that neither comes from nor waits on the pool requests draw from. For Data
    /// Protection's key ring (its IXmlRepository is synchronous by contract), which it reads, and may add a key to,
    /// from inside whatever call needs a key it has not loaded: an Unprotect in the refresh grant's transaction, whose
    /// caller already holds a pooled connection. From the pool, that read would wait for a connection its own caller
    /// holds, and with every connection held by such callers none would come back before the pool's timeout. Rare (at
    /// start-up, on an unknown key, when a key is due); on PostgreSQL a pool of one connection of its own.
    /// </summary>
    DbConnection OpenOutsidePool();
}
