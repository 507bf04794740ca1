using System.Data.Common;
using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// <see cref="WriteTransaction.WriteAtCommitAsync"/>: a write nothing waits for goes to the database with the commit
/// (on PostgreSQL in the same round trip). It must keep the transaction's meaning — statements in the order written,
/// all or nothing, nothing without a commit — on both engines.
/// </summary>
public abstract class WriteTransactionTests(DatabaseEngine engine) : IAsyncLifetime
{
    private TestDatabase database = null!;
    private IDbConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(engine);
        db = database.CreateFactory();
        await using var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
    }

    public async ValueTask DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task A_write_at_commit_is_stored_by_the_commit_and_never_without_one()
    {
        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (@id, @note)", new { id = 1, note = "kept" });
            await tx.CommitAsync();
        }

        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (@id, @note)", new { id = 2, note = "abandoned" });
        }

        Assert.Equal([(1, "kept")], await RowsAsync());
    }

    [Fact]
    public async Task Statements_run_in_the_order_they_were_written()
    {
        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (@id, @note)", new { id = 1, note = "first" });
            // The update must see the insert written before it (the pending write is sent first).
            Assert.Equal(1, await tx.ExecuteAsync("UPDATE probe SET note = @note WHERE id = @id", new { id = 1, note = "second" }));
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (@id, @note)", new { id = 2, note = "a" });
            await tx.WriteAtCommitAsync("UPDATE probe SET note = @note WHERE id = @id", new { id = 2, note = "b" });
            await tx.CommitAsync();
        }

        Assert.Equal([(1, "second"), (2, "b")], await RowsAsync());
    }

    [Fact]
    public async Task A_failing_write_at_commit_fails_the_commit_and_the_whole_transaction()
    {
        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.ExecuteAsync("INSERT INTO probe (id, note) VALUES (1, 'existing')");
            await tx.CommitAsync();
        }

        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.ExecuteAsync("INSERT INTO probe (id, note) VALUES (2, 'written before')");
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (1, 'duplicate')");
            await Assert.ThrowsAnyAsync<DbException>(tx.CommitAsync);
        }

        Assert.Equal([(1, "existing")], await RowsAsync());

        // The connection it used went back clean: the next transactions commit (on SQLite through the same writer).
        for (var id = 3; id <= 4; id++)
        {
            await using var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None);
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (@id, 'after')", new { id });
            await tx.CommitAsync();
        }

        Assert.Equal([(1, "existing"), (3, "after"), (4, "after")], await RowsAsync());
    }

    [Fact]
    public async Task A_list_of_parameters_is_refused_rather_than_committed_after_its_first_row()
    {
        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => tx.WriteAtCommitAsync(
                "INSERT INTO probe (id, note) VALUES (@id, @note)", new[] { new { id = 1, note = "a" }, new { id = 2, note = "b" } }));
            await tx.CommitAsync();
        }

        Assert.Empty(await RowsAsync());
    }

    [Fact]
    public async Task Nothing_goes_through_a_transaction_after_its_commit()
    {
        await using var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None);
        await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (1, 'once')");
        await tx.CommitAsync();
        await Assert.ThrowsAnyAsync<InvalidOperationException>(tx.CommitAsync);
        // Held for a commit that will never come, it would be dropped without a word: refused instead.
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (2, 'late')"));
        Assert.Equal([(1, "once")], await RowsAsync());
    }

    [Fact]
    public async Task A_write_at_commit_ending_in_a_line_comment_still_commits()
    {
        await using (var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None))
        {
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (1, 'commented') -- the last line;");
            await tx.CommitAsync();
        }

        Assert.Equal([(1, "commented")], await RowsAsync());
    }

    /// <summary>
    /// A refusal disposes its transaction early (to record the refusal outside it) and its <c>await using</c> disposes
    /// it again. Npgsql reuses one transaction object per connection, so by the second disposal the connection may be
    /// another request's, inside its transaction: reaching the provider again would roll that request back — an honest
    /// request's committed-looking work lost (ASVS V11.1.6, shared resources between concurrent requests).
    /// </summary>
    [Fact]
    public async Task Disposing_twice_never_touches_the_next_transaction_on_the_same_connection()
    {
        var oneConnection = engine == DatabaseEngine.Postgres
            ? new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString
            : database.ConnectionString;
        await using var factory = engine == DatabaseEngine.Postgres
            ? (IAsyncDisposable)new PostgresConnectionFactory(oneConnection)
            : new SqliteConnectionFactory(oneConnection);
        var single = (IDbConnectionFactory)factory;

        var refused = await WriteTransaction.BeginAsync(single, CancellationToken.None);
        await refused.ExecuteAsync("INSERT INTO probe (id, note) VALUES (1, 'refused')");
        await refused.DisposeAsync(); // rolled back, connection given back

        await using (var next = await WriteTransaction.BeginAsync(single, CancellationToken.None))
        {
            await next.ExecuteAsync("INSERT INTO probe (id, note) VALUES (2, 'next request')");
            await refused.DisposeAsync(); // the refusal's `await using` ends while the next request is mid-transaction
            await next.CommitAsync();
        }

        Assert.Equal([(2, "next request")], await RowsAsync());
    }

    [Fact]
    public async Task On_PostgreSQL_the_last_write_and_the_commit_are_one_round_trip()
    {
        Assert.SkipUnless(engine == DatabaseEngine.Postgres, "Round trips are PostgreSQL's cost.");
        await using var counter = PostgresRoundTripCounter.Start(database.ConnectionString);
        await using var proxied = new PostgresConnectionFactory(counter.ConnectionString);

        await using (var warm = await proxied.OpenAsync(CancellationToken.None))
        {
            await warm.ExecuteAsync("SELECT 1"); // the connection's start-up is not the transaction's
        }

        counter.Reset();
        await using (var tx = await WriteTransaction.BeginAsync(proxied, CancellationToken.None))
        {
            await tx.ExecuteAsync("INSERT INTO probe (id, note) VALUES (1, 'written now')");
            await tx.CommitAsync();
        }

        Assert.Equal(2, counter.RoundTrips); // BEGIN with the insert, then COMMIT: what the counter sees without a write at commit

        counter.Reset();
        await using (var tx = await WriteTransaction.BeginAsync(proxied, CancellationToken.None))
        {
            await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (2, 'written at commit')");
            await tx.CommitAsync();
        }

        Assert.Equal(1, counter.RoundTrips); // BEGIN, the insert and COMMIT in one command
        Assert.Equal([(1, "written now"), (2, "written at commit")], await RowsAsync());
    }

    private async Task<List<(int, string)>> RowsAsync()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        return [.. (await c.QueryAsync<(long Id, string Note)>("SELECT id, note FROM probe ORDER BY id")).Select(r => ((int)r.Id, r.Note))];
    }
}

public sealed class SqliteWriteTransactionTests() : WriteTransactionTests(DatabaseEngine.Sqlite);

public sealed class PostgresWriteTransactionTests() : WriteTransactionTests(DatabaseEngine.Postgres);
