using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// How the server's requests share PostgreSQL connections (PostgresConnectionFactory): a small pool, Data Protection's
/// key ring read outside it, and connections handed from one request to the next without a reset round.
/// </summary>
public sealed class PostgresPoolTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await new SchemaMigrator(database.CreateFactory(), NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await database.DisposeAsync();

    /// <summary>
    /// Data Protection reads its key ring from inside the call that meets a key it has not loaded: the refresh grant
    /// unseals a retried successor inside its transaction, so on PostgreSQL that read happens while the request holds a
    /// pooled connection. Read from the pool, it would wait for a connection its own caller holds; with every connection
    /// held by such callers (the pool is small by default), none comes back and honest retries fail after Npgsql's
    /// timeout (ASVS V11.1.4, no resource exhaustion from the server's own design).
    /// </summary>
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

    /// <summary>
    /// The pool hands a connection to the next request as the last one left it: no reset round (seven statements
    /// PostgreSQL would parse and run on every request), because the server leaves no session state
    /// (PostgresConnectionDefaultsTests reads every statement for that). What must never pass from one request to the
    /// next is an unfinished transaction — a request that failed or was cancelled mid-way, its writes neither committed
    /// nor visible to the next request (ASVS 4.0 V1.11.3). Npgsql rolls it back before the connection is reused, with
    /// or without the reset.
    /// </summary>
    [Theory]
    [InlineData("an open transaction")]
    [InlineData("a failed transaction")]
    [InlineData("a cancelled command")]
    public async Task A_connection_goes_to_the_next_request_without_a_reset_but_never_inside_the_last_ones_transaction(string leftWith)
    {
        await using var factory = new PostgresConnectionFactory(new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        int first;
        await using (var c = await factory.OpenAsync(CancellationToken.None))
        {
            await c.ExecuteAsync("CREATE TABLE pool_probe (n INT PRIMARY KEY)");
            first = await c.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
            // Set here only to see whether a reset ran; nothing in the server sets one.
            await c.ExecuteAsync("SET latchkey.pool_probe = 'left by the last request'");
            var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync("INSERT INTO pool_probe VALUES (1)", transaction: tx);
            if (leftWith == "a failed transaction")
            {
                await Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("INSERT INTO pool_probe VALUES (1)", transaction: tx));
            }
            else if (leftWith == "a cancelled command")
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)); // a request whose client went away
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.ExecuteAsync(new CommandDefinition("SELECT pg_sleep(30)", transaction: tx, cancellationToken: cancel.Token)));
            }
        } // closed mid-transaction, as a request that threw

        await using (var c = await factory.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(first, await c.ExecuteScalarAsync<int>("SELECT pg_backend_pid()")); // the same session
            Assert.Equal("left by the last request", await c.ExecuteScalarAsync<string>("SELECT current_setting('latchkey.pool_probe', true)"));
            Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT count(*) FROM pool_probe"));
            // Not inside the last request's transaction, which had written and so held a transaction id.
            Assert.True(await c.ExecuteScalarAsync<bool>("SELECT pg_current_xact_id_if_assigned() IS NULL"));
        }
    }
}
