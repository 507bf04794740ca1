using System.Data.Common;

namespace Latchkey.Server.Storage;

/// <summary>Opens connections to the configured engine. Repositories are written once against this.</summary>
public interface IDbConnectionFactory
{
    DatabaseEngine Engine { get; }

    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);
}
