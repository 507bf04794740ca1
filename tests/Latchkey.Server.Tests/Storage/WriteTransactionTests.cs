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
    public async Task A_transaction_committed_with_its_last_write_cannot_commit_again()
    {
        await using var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None);
        await tx.WriteAtCommitAsync("INSERT INTO probe (id, note) VALUES (1, 'once')");
        await tx.CommitAsync();
        await Assert.ThrowsAnyAsync<InvalidOperationException>(tx.CommitAsync);
        Assert.Equal([(1, "once")], await RowsAsync());
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
