using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// The SQLite pool keeps each connection's compiled statements (<see cref="PooledSqliteConnection"/>): a hot query is
/// parsed once per connection, yet every execution binds its own values and a connection comes back clean.
/// </summary>
public sealed class SqliteStatementCacheTests : IAsyncLifetime
{
    private const string Lookup = "SELECT name FROM items WHERE id = @id";

    private TestDatabase database = null!;
    private SqliteConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        db = (SqliteConnectionFactory)database.CreateFactory();
        var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO items VALUES (1, 'one'), (2, 'two');");
        await c.DisposeAsync();
        db.ClearPool(); // each test starts on a connection with no statements yet, so TrackStatements sees them all
    }

    public async ValueTask DisposeAsync()
    {
        await db.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task HotQuery_IsCompiledOncePerConnection_AndBindsEachCallsOwnValues()
    {
        IntPtr first;
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            TrackStatements(c);
            Assert.Equal("one", await c.QuerySingleAsync<string>(Lookup, new { id = 1 }));
            first = Assert.Single(Statements(c), s => s.Sql == Lookup).Handle;
        }

        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            Assert.Equal("two", await c.QuerySingleAsync<string>(Lookup, new { id = 2 }));
            Assert.Null(await c.QuerySingleOrDefaultAsync<string>(Lookup, new { id = 3 }));
            Assert.Equal(first, Assert.Single(Statements(c), s => s.Sql == Lookup).Handle); // the same compiled statement
        }
    }

    [Fact]
    public async Task ValuesFromAnEarlierCall_AreNeverBoundAgain()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        Assert.Equal("one", await c.QuerySingleAsync<string>(Lookup, new { id = 1 }));

        // The statement is reused, its parameters are not: a call that binds nothing must not see the last caller's id.
        await Assert.ThrowsAsync<InvalidOperationException>(() => c.QuerySingleOrDefaultAsync<string>(Lookup));
        Assert.Equal("two", await c.QuerySingleAsync<string>(Lookup, new { id = 2 }));
    }

    [Fact]
    public async Task Connection_ReturnedWithItsTransactionOpen_IsClosed_SoItsWritesRollBack()
    {
        var c = await db.OpenAsync(CancellationToken.None);
        var transaction = await c.BeginTransactionAsync();
        await c.ExecuteAsync("INSERT INTO items VALUES (3, 'three')", transaction: transaction);
        await c.DisposeAsync(); // the transaction object is never disposed (a bug elsewhere must not leak into the pool)

        await using var next = await db.OpenAsync(CancellationToken.None);
        Assert.Null(await next.QuerySingleOrDefaultAsync<string>(Lookup, new { id = 3 }));
        await using var t = await next.BeginTransactionAsync(); // and the next writer is not refused a "nested" transaction
        await next.ExecuteAsync("INSERT INTO items VALUES (3, 'three')", transaction: t);
        await t.CommitAsync();
        Assert.Equal("three", await next.QuerySingleAsync<string>(Lookup, new { id = 3 }));
    }

    [Fact]
    public async Task ClearPool_ClosesIdleConnections_AndThoseInUseWhenTheyReturn()
    {
        SqliteConnection inUse;
        await using (var held = await db.OpenAsync(CancellationToken.None))
        {
            await using (var idle = await db.OpenAsync(CancellationToken.None))
            {
                await idle.ExecuteScalarAsync<long>("SELECT 1");
            }

            inUse = Native(held);
            db.ClearPool();
        }

        await using var c = await db.OpenAsync(CancellationToken.None);
        Assert.NotSame(inUse, Native(c));
        Assert.Equal(System.Data.ConnectionState.Closed, inUse.State);
    }

    [Fact]
    public async Task IdleConnections_HoldNoReadTransaction_SoTheWalCanBeCheckpointedWhole()
    {
        // A kept statement that was not reset would keep its connection's read snapshot open: the WAL could then never
        // be checkpointed past it and would grow for as long as the server runs.
        var held = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 4; i++)
        {
            var c = await db.OpenAsync(CancellationToken.None);
            Assert.Equal("one", await c.QuerySingleAsync<string>(Lookup, new { id = 1 }));
            Assert.Equal(2 + i, (await c.QueryAsync<string>("SELECT name FROM items ORDER BY id")).Count());
            await c.QueryFirstOrDefaultAsync<string>("SELECT name FROM items ORDER BY id"); // stops after the first row
            await c.ExecuteAsync("INSERT INTO items (name) VALUES (@name)", new { name = $"n{i}" });
            held.Add(c);
        }

        foreach (var c in held)
        {
            await c.DisposeAsync(); // back to the pool, statements kept
        }

        // Written after every read above: a snapshot still held by any of them would keep these frames in the WAL.
        await using var checkpointer = await db.OpenAsync(CancellationToken.None);
        await checkpointer.ExecuteAsync("INSERT INTO items (name) VALUES ('last')");
        var (busy, walFrames, checkpointed) = await checkpointer.QuerySingleAsync<(long, long, long)>("PRAGMA wal_checkpoint(TRUNCATE)");
        Assert.Equal(0, busy);
        Assert.Equal(walFrames, checkpointed);
    }

    [Fact]
    public async Task ConnectionHandedBack_RefusesWork_ForItMayBeAnotherRequestsNow()
    {
        var c = await db.OpenAsync(CancellationToken.None);
        var early = c.CreateCommand();
        early.CommandText = Lookup;
        early.Parameters.Add(new SqliteParameter("@id", 1));
        await c.DisposeAsync();

        await using var other = await db.OpenAsync(CancellationToken.None); // the same SQLite connection, lent again
        Assert.Same(((MeteredDbConnection)c).Inner, Native(other));
        Assert.Equal(System.Data.ConnectionState.Closed, c.State);
        Assert.Throws<ObjectDisposedException>(() => c.CreateCommand());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.BeginTransactionAsync().AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => early.ExecuteScalarAsync());
        early.Dispose();
        Assert.Equal("two", await other.QuerySingleAsync<string>(Lookup, new { id = 2 }));
    }

    [Fact]
    public async Task TwoParametersForOnePlaceholder_AreRefused()
    {
        // Microsoft.Data.Sqlite counts the values it bound, not the placeholders filled: "id" and "@id" would pass its
        // check while a second placeholder kept the last caller's value in the kept statement.
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT name FROM items WHERE id = @id AND name <> @name";
        command.Parameters.Add(new SqliteParameter("id", 1));
        command.Parameters.Add(new SqliteParameter("@id", 1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task BareParameterNames_AreBoundAsTheAtPlaceholders_InEveryStatementOfTheCommand()
    {
        // Dapper names parameters bare ("id"); the command binds them as the SQL names them ("@id"), one lookup each
        // instead of Microsoft.Data.Sqlite's four (as given, then with '@', '$' and ':').
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT name FROM items WHERE id = @id; SELECT name FROM items WHERE id <> @id AND name <> @name";
        command.Parameters.Add(new SqliteParameter("id", 1));
        command.Parameters.Add(new SqliteParameter("name", "x"));
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("one", reader.GetString(0));
            Assert.True(await reader.NextResultAsync());
            Assert.True(await reader.ReadAsync());
            Assert.Equal("two", reader.GetString(0));
        }

        Assert.Equal(["@id", "@name"], command.Parameters.Cast<SqliteParameter>().Select(p => p.ParameterName));
    }

    [Fact]
    public async Task PlaceholderNamedWithAnotherPrefix_FailsLoudly_NeverRunsUnbound()
    {
        // The server's SQL names placeholders with '@' only; one written ":id" is refused as unbound, not run with NULL.
        await using var c = await db.OpenAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => c.QuerySingleOrDefaultAsync<string>("SELECT name FROM items WHERE id = :id", new { id = 1 }));
        Assert.Equal("one", await c.QuerySingleAsync<string>(Lookup, new { id = 1 }));
    }

    [Fact]
    public async Task IdleConnections_AreClosedAfterTheirIdleLifetime()
    {
        SqliteConnection first;
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            first = Native(c);
        }

        db.PruneIdle(now: Environment.TickCount64 + 1_000);
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            Assert.Same(first, Native(c)); // recently used: kept
        }

        db.PruneIdle(now: Environment.TickCount64 + (long)SqliteConnectionFactory.IdleLifetime.TotalMilliseconds + 1_000);
        await using var next = await db.OpenAsync(CancellationToken.None);
        Assert.NotSame(first, Native(next));
        Assert.Equal(System.Data.ConnectionState.Closed, first.State);
    }

    [Fact]
    public async Task StatementsPerConnection_AreBounded()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        TrackStatements(c);
        for (var i = 0; i < PooledSqliteConnection.MaxStatements + 20; i++)
        {
            Assert.Equal(i, await c.ExecuteScalarAsync<long>($"SELECT {i}"));
        }

        Assert.Equal(PooledSqliteConnection.MaxStatements, Statements(c).Count);
    }

    [Fact]
    public async Task WriteTransactions_RunOnTheOneWriter_AndTheConnectionLeftBehindGoesBackToThePoolAtOnce()
    {
        var writer = await MakeWriterAsync(); // the first write's clean connection became the writer

        await using var c = await db.OpenAsync(CancellationToken.None);
        var leftBehind = Native(c);
        await using var t = await c.BeginTransactionAsync();
        Assert.Same(writer, Native(c));
        await using (var other = await db.OpenAsync(CancellationToken.None))
        {
            Assert.Same(leftBehind, Native(other)); // back in the pool while the transaction still runs
        }

        await c.ExecuteAsync("INSERT INTO items VALUES (3, 'three')", transaction: t);
        await t.CommitAsync();
        Assert.Equal("three", await c.QuerySingleAsync<string>(Lookup, new { id = 3 }));
    }

    [Fact]
    public async Task WriterKeepsItsPages_AcrossRequests()
    {
        // SQLite drops a connection's page cache once another connection has committed. Two requests holding two
        // connections, writing one after the other: the second reads nothing from the file only if both ran on the writer.
        var first = await db.OpenAsync(CancellationToken.None);
        var second = await db.OpenAsync(CancellationToken.None);
        try
        {
            await using (var t = await first.BeginTransactionAsync())
            {
                Assert.Equal("one", await first.QuerySingleAsync<string>(Lookup, new { id = 1 }, t));
                await first.ExecuteAsync("INSERT INTO items VALUES (10, 'ten')", transaction: t);
                await t.CommitAsync();
            }

            await first.DisposeAsync();

            await using var t2 = await second.BeginTransactionAsync();
            raw.sqlite3_db_status(Native(second).Handle, raw.SQLITE_DBSTATUS_CACHE_MISS, out _, out _, 1);
            Assert.Equal("one", await second.QuerySingleAsync<string>(Lookup, new { id = 1 }, t2));
            await second.ExecuteAsync("INSERT INTO items VALUES (11, 'eleven')", transaction: t2);
            raw.sqlite3_db_status(Native(second).Handle, raw.SQLITE_DBSTATUS_CACHE_MISS, out var misses, out _, 0);
            await t2.CommitAsync();
            Assert.Equal(0, misses);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task CommandMadeBeforeTheTransaction_RunsOnTheWriter_InsideIt()
    {
        // The connection lent first went back to the pool when the transaction moved to the writer: a command made
        // before must follow to the writer (Microsoft.Data.Sqlite refuses a transaction of another connection), never
        // write through a connection that may be another request's now.
        await MakeWriterAsync();
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var early = c.CreateCommand();
        early.CommandText = "INSERT INTO items VALUES (5, 'five')";
        await using (var t = await c.BeginTransactionAsync())
        {
            early.Transaction = t;
            Assert.Equal(1, await early.ExecuteNonQueryAsync());
            await t.RollbackAsync();
        }

        await using var other = await db.OpenAsync(CancellationToken.None);
        Assert.Null(await other.QuerySingleOrDefaultAsync<string>(Lookup, new { id = 5 }));
    }

    [Fact]
    public async Task ConnectionWithACommandStillLeased_IsNotLeftBehind()
    {
        // A command executed and kept holds a statement of this connection: giving the connection back to the pool
        // would let that command touch another request's connection later. The transaction stays where it is.
        await MakeWriterAsync();
        await using var c = await db.OpenAsync(CancellationToken.None);
        var original = Native(c);
        await using var kept = c.CreateCommand();
        kept.CommandText = "SELECT COUNT(*) FROM items";
        Assert.Equal(2L, await kept.ExecuteScalarAsync());
        await using var t = await c.BeginTransactionAsync();
        Assert.Same(original, Native(c));
        await using var other = await db.OpenAsync(CancellationToken.None);
        Assert.NotSame(original, Native(other));
    }

    [Fact]
    public async Task WriterInUse_WhenThePoolIsCleared_IsClosedOnReturn_AndTheNextWriteFindsTheFileAfresh()
    {
        var writer = await MakeWriterAsync();
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            await using var t = await c.BeginTransactionAsync();
            Assert.Same(writer, Native(c));
            db.ClearPool();
            await t.CommitAsync();
        }

        Assert.Equal(System.Data.ConnectionState.Closed, writer.State);
        Assert.NotSame(writer, await MakeWriterAsync());
    }

    [Fact]
    public async Task IdleWriter_IsClosedAfterItsIdleLifetime_AndKeptBefore()
    {
        var writer = await MakeWriterAsync();
        db.PruneIdle(now: Environment.TickCount64 + 1_000);
        Assert.Same(writer, await MakeWriterAsync());

        db.PruneIdle(now: Environment.TickCount64 + (long)SqliteConnectionFactory.IdleLifetime.TotalMilliseconds + 1_000);
        Assert.Equal(System.Data.ConnectionState.Closed, writer.State);
        Assert.NotSame(writer, await MakeWriterAsync());
    }

    /// <summary>Runs one write transaction and answers the connection it ran on: the pool's writer from then on.</summary>
    private async Task<SqliteConnection> MakeWriterAsync()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var t = await c.BeginTransactionAsync();
        await c.ExecuteAsync("UPDATE items SET name = name WHERE id = 1", transaction: t);
        await t.CommitAsync();
        return Native(c);
    }

    private static SqliteConnection Native(System.Data.Common.DbConnection c) => (SqliteConnection)((MeteredDbConnection)c).Inner;

    // SQLitePCL lists a connection's statements only when asked to track them, before they are made.
    private static void TrackStatements(System.Data.Common.DbConnection c) => Native(c).Handle!.enable_sqlite3_next_stmt(true);

    private static List<(IntPtr Handle, string Sql)> Statements(System.Data.Common.DbConnection c)
    {
        var handle = Native(c).Handle!;
        var found = new List<(IntPtr, string)>();
        for (var stmt = raw.sqlite3_next_stmt(handle, null); stmt is not null; stmt = raw.sqlite3_next_stmt(handle, stmt))
        {
            found.Add((stmt.DangerousGetHandle(), raw.sqlite3_sql(stmt).utf8_to_string()));
        }

        return found;
    }
}
