using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// The command a pooled SQLite connection hands to Dapper: it collects the text and parameters like any command and,
/// when executed, runs them on the connection's already-compiled <see cref="SqliteCommand"/> for that text
/// (<see cref="PooledSqliteConnection"/>). Parameters are bound afresh on every execution; only the compiled
/// statement is shared, so results are exactly those of a new command.
/// </summary>
internal sealed class CachedSqliteCommand(MeteredDbConnection owner) : DbCommand
{
    // Holds the parameters only; never executed (Microsoft.Data.Sqlite's parameter collection has no public constructor).
    private readonly SqliteCommand parameterHolder = new();
    private SqliteCommand? leased;
    private PooledSqliteConnection? leasedFrom;
    private SqliteDataReader? reader;
    // The write turn an autocommit statement that writes took (MeteredDbConnection.EnterWriteTurn), while its reader is out.
    private bool readerHoldsTurn;

    [AllowNull]
    public override string CommandText { get; set; } = string.Empty;

    public override int CommandTimeout { get; set; } = owner.Pooled!.Connection.DefaultTimeout;

    public override CommandType CommandType { get; set; } = CommandType.Text;

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection
    {
        get => owner;
        set => throw new NotSupportedException("A pooled SQLite command stays with the connection that created it.");
    }

    protected override DbParameterCollection DbParameterCollection => parameterHolder.Parameters;

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel() => leased?.Cancel();

    protected override DbParameter CreateDbParameter() => new SqliteParameter();

    /// <summary>Nothing to do: the statement is compiled on its first execution and kept.</summary>
    public override void Prepare()
    {
    }

    public override int ExecuteNonQuery()
    {
        EndReaderTurn(); // a reader's write turn from an earlier execution ends before this one waits for its own
        var turn = owner.EnterWriteTurn(CommandText, DbTransaction);
        try
        {
            return Lease().ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            throw;
        }
        finally
        {
            LeaveTurn(turn);
        }
    }

    public override object? ExecuteScalar()
    {
        EndReaderTurn();
        var turn = owner.EnterWriteTurn(CommandText, DbTransaction);
        try
        {
            return Lease().ExecuteScalar();
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            throw;
        }
        finally
        {
            LeaveTurn(turn);
        }
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        EndReaderTurn();
        var turn = await owner.EnterWriteTurnAsync(CommandText, DbTransaction, cancellationToken);
        try
        {
            return await Lease().ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            throw;
        }
        finally
        {
            LeaveTurn(turn);
        }
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        EndReaderTurn();
        var turn = await owner.EnterWriteTurnAsync(CommandText, DbTransaction, cancellationToken);
        try
        {
            return await Lease().ExecuteScalarAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            throw;
        }
        finally
        {
            LeaveTurn(turn);
        }
    }

    // A reader that writes (RETURNING) keeps the write turn until its statement goes back (ReturnLease).
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        EndReaderTurn();
        var turn = owner.EnterWriteTurn(CommandText, DbTransaction);
        try
        {
            reader = Lease().ExecuteReader(behavior);
            readerHoldsTurn = turn;
            return reader;
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            LeaveTurn(turn);
            throw;
        }
        catch
        {
            LeaveTurn(turn);
            throw;
        }
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        EndReaderTurn();
        var turn = await owner.EnterWriteTurnAsync(CommandText, DbTransaction, cancellationToken);
        try
        {
            reader = await Lease().ExecuteReaderAsync(behavior, cancellationToken);
            readerHoldsTurn = turn;
            return reader;
        }
        catch (SqliteException e)
        {
            leasedFrom?.NoteError(e);
            LeaveTurn(turn);
            throw;
        }
        catch
        {
            LeaveTurn(turn);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnLease();
            parameterHolder.Dispose();
        }

        base.Dispose(disposing);
    }

    private SqliteCommand Lease()
    {
        // Its connection went back to the pool and may be another request's now.
        ObjectDisposedException.ThrowIf(owner.Released, owner);
        if (CommandType != CommandType.Text)
        {
            throw new NotSupportedException("SQLite runs only CommandType.Text.");
        }

        RefuseDuplicateNames();

        if (leased is not null && !string.Equals(leased.CommandText, CommandText, StringComparison.Ordinal))
        {
            ReturnLease();
        }

        // The connection's native connection at this moment: a write transaction may have moved it to the writer
        // (MeteredDbConnection), and only while nothing was leased, so a lease never spans two native connections.
        var pooled = owner.Pooled!;
        if (leased is not null && !ReferenceEquals(leasedFrom, pooled))
        {
            ReturnLease();
        }

        if (leased is null)
        {
            leased = pooled.Rent(CommandText);
            leasedFrom = pooled;
        }

        leased.Parameters.Clear();
        foreach (SqliteParameter parameter in parameterHolder.Parameters)
        {
            // Named as the SQL names it. Microsoft.Data.Sqlite binds a bare name ("id", as Dapper gives it) by looking
            // it up as given and then with each of '@', '$' and ':' (to refuse an ambiguous one): four lookups through
            // the statement's names, per parameter and per statement of the command, where "@id" is one. The server's
            // SQL names its placeholders with '@' only; one named otherwise fails loudly as unbound.
            if (parameter.ParameterName is { Length: > 0 } name && name[0] is not ('@' or '$' or ':'))
            {
                parameter.ParameterName = "@" + name;
            }

            leased.Parameters.Add(parameter);
        }

        // A unit of the writer's batch runs under the batch's one SQLite transaction (SqliteWriteBatch).
        leased.Transaction = DbTransaction is SqliteBatchUnit unit ? unit.Provider : (SqliteTransaction?)DbTransaction;
        leased.CommandTimeout = CommandTimeout;
        return leased;
    }

    // Microsoft.Data.Sqlite never clears a statement's bindings, and its check for missing values counts the values it
    // bound: two parameters naming one placeholder ("id" and "@id") would pass it while another placeholder kept the
    // previous caller's value. Dapper never sends such a pair; refusing it keeps a kept statement from ever doing so.
    private void RefuseDuplicateNames()
    {
        var parameters = parameterHolder.Parameters;
        for (var i = 1; i < parameters.Count; i++)
        {
            var name = Bare(parameters[i].ParameterName);
            for (var j = 0; j < i; j++)
            {
                if (name.Equals(Bare(parameters[j].ParameterName), StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"The parameter '{name}' is given twice.");
                }
            }
        }

        static ReadOnlySpan<char> Bare(string name) => name.AsSpan().TrimStart("@$:");
    }

    private void ReturnLease()
    {
        if (leased is null)
        {
            return;
        }

        // A reader still open holds the statement mid-step: that command is not reused.
        leasedFrom!.Return(leased, reusable: reader is null || reader.IsClosed);
        leased = null;
        leasedFrom = null;
        reader = null;
        LeaveTurn(readerHoldsTurn);
        readerHoldsTurn = false;
    }

    private void EndReaderTurn()
    {
        if (readerHoldsTurn)
        {
            ReturnLease();
        }
    }

    private void LeaveTurn(bool turn)
    {
        if (turn)
        {
            owner.LeaveWriteTurn();
        }
    }
}
