using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// Data Protection reads its key ring from inside the call that meets a key it has not loaded: the refresh grant
/// unseals a retried successor inside its transaction, so on PostgreSQL that read happens while the request holds a
/// pooled connection. Read from the pool, it would wait for a connection its own caller holds; with every connection
/// held by such callers (the pool is small by default), none comes back and honest retries fail after Npgsql's
/// timeout (ASVS V11.1.4, no resource exhaustion from the server's own design).
/// </summary>
public sealed class PostgresKeyRingReadTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await new SchemaMigrator(database.CreateFactory(), NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task The_key_ring_is_read_while_every_pooled_connection_is_held()
    {
        var exhausted = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1, Timeout = 2 }.ConnectionString;
        await using var factory = new PostgresConnectionFactory(exhausted);
        var keys = new KeyRepository(factory);
        keys.StoreDataProtectionKey("key-1", "<key id=\"1\" />", 1);

        await using var held = await factory.OpenAsync(CancellationToken.None); // as the refresh grant's transaction holds it
        await using var tx = await held.BeginTransactionAsync();

        var read = await Task.Run(keys.ListDataProtectionKeys).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["<key id=\"1\" />"], read);

        // The pool itself is exhausted: a second pooled open would have waited and failed.
        await Assert.ThrowsAsync<NpgsqlException>(async () => await factory.OpenAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Key_ring_reads_reuse_one_connection_rather_than_start_a_backend_each()
    {
        // A client can provoke key-ring reads (payloads under unknown key ids, in the first minutes after start): each
        // must not cost PostgreSQL a new backend process.
        await using var factory = new PostgresConnectionFactory(database.ConnectionString);
        int first, second;
        using (var c = factory.OpenOutsidePool())
        {
            first = c.ExecuteScalar<int>("SELECT pg_backend_pid()");
        }

        using (var c = factory.OpenOutsidePool())
        {
            second = c.ExecuteScalar<int>("SELECT pg_backend_pid()");
        }

        Assert.Equal(first, second);
    }
}
