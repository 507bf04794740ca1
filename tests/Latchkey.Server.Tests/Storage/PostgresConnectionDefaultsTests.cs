using System.Text.RegularExpressions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Npgsql;

namespace Latchkey.Server.Tests.Storage;

public sealed partial class PostgresConnectionDefaultsTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_operator_says_otherwise()
    {
        var defaulted = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;Username=lk;Password=secret"));
        var operators = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;Max Auto Prepare=7"));
        var turnedOff = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;max auto prepare=0"));
        var propertyName = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;MaxAutoPrepare=0"));

        Assert.Equal(128, defaulted.MaxAutoPrepare);
        Assert.Equal(2, defaulted.AutoPrepareMinUsages);
        Assert.Equal("secret", defaulted.Password); // the rest of the operator's string is kept as written
        Assert.Equal(7, operators.MaxAutoPrepare);
        Assert.Equal(0, turnedOff.MaxAutoPrepare); // off, as PgBouncer in transaction mode needs
        Assert.Equal(0, propertyName.MaxAutoPrepare);
    }

    [Fact]
    public void The_pool_is_sized_for_the_machine_unless_the_operator_sizes_it()
    {
        var defaulted = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;Username=lk"));
        Assert.Equal(PostgresConnectionFactory.DefaultMaxPoolSize, defaulted.MaxPoolSize);
        Assert.InRange(PostgresConnectionFactory.DefaultMaxPoolSize, 16, 100);

        // Every spelling Npgsql accepts is the operator's choice, Npgsql's own default value included.
        foreach (var written in new[] { "Maximum Pool Size=100", "MaxPoolSize=7", "maxpoolsize=7", "MAXIMUM POOL SIZE=7" })
        {
            var expected = new NpgsqlConnectionStringBuilder("Host=db;" + written).MaxPoolSize;
            Assert.Equal(expected, new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;" + written)).MaxPoolSize);
        }
    }

    [Fact]
    public void Connections_go_back_to_the_pool_without_a_reset_round_unless_the_operator_asks_for_one()
    {
        Assert.True(new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;Username=lk")).NoResetOnClose);
        foreach (var written in new[] { "No Reset On Close=false", "NoResetOnClose=false", "no reset on close=False" })
        {
            Assert.False(new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;" + written)).NoResetOnClose);
        }
    }

    /// <summary>
    /// What makes the pool's missing reset safe (ASVS 4.0 V1.11.3: flows that share a resource stay apart; here no
    /// request may inherit another's session): no statement of the server leaves state on a session that the next
    /// request on the same connection would inherit — no session parameter (<c>SET</c> at the start of a statement; an
    /// UPDATE's SET follows its table), no role or session authorization, no LISTEN, no session advisory lock (only
    /// <c>pg_advisory_xact_lock</c>, released with its transaction), no temporary table, no cursor or prepared statement
    /// of its own. Whoever adds one must turn the reset back on (PostgresConnectionFactory.WithServerDefaults) or undo
    /// it in the same transaction.
    /// </summary>
    [Fact]
    public void The_server_leaves_no_session_state_on_a_pooled_connection()
    {
        var found = RepositoryFiles.ServerSources(".cs").Concat(RepositoryFiles.ServerSources(".sql"))
            .SelectMany(file => SessionStatePattern().Matches(WithoutCommentLines(file)).Select(m => $"{Path.GetFileName(file)}: {m.Value.Trim()}"))
            .ToList();
        Assert.Empty(found);

        // The pattern finds what it is meant to, and not an UPDATE's SET.
        Assert.Matches(SessionStatePattern(), "\"SET search_path = x\"");
        Assert.Matches(SessionStatePattern(), "SELECT 1;\n  RESET ALL");
        Assert.Matches(SessionStatePattern(), "\"\"\"\n    LISTEN grants;");
        Assert.Matches(SessionStatePattern(), "SELECT pg_advisory_lock(1)");
        Assert.Matches(SessionStatePattern(), "CREATE TEMP TABLE t (x int)");
        Assert.DoesNotMatch(SessionStatePattern(), "\"UPDATE grants\n   SET revoked_at = @now WHERE id = @id\"");
        Assert.DoesNotMatch(SessionStatePattern(), "SELECT pg_advisory_xact_lock(@key)");
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 16)]
    [InlineData(4, 32)]
    [InlineData(12, 96)]
    [InlineData(64, 100)]
    public void The_default_pool_is_8_connections_per_processor_between_16_and_100(int processors, int expected)
        => Assert.Equal(expected, PostgresConnectionFactory.MaxPoolSizeFor(processors));

    [Fact]
    public async Task Connection_strings_Npgsql_accepts_still_start_the_server()
    {
        // An operator's minimum above the default maximum: Npgsql would refuse a maximum under it.
        var minimum = new NpgsqlConnectionStringBuilder(PostgresConnectionFactory.WithServerDefaults("Host=db;Minimum Pool Size=120"));
        Assert.Equal(120, minimum.MaxPoolSize);
        await using (new PostgresConnectionFactory("Host=127.0.0.1;Minimum Pool Size=120"))
        {
        }

        // Multiplexing needs a pool: the out-of-pool data source must not inherit it.
        await using (new PostgresConnectionFactory("Host=127.0.0.1;Multiplexing=true"))
        {
        }
    }

    // Whole-line comments (C#'s //, SQL's --) may name these statements; only code can run them.
    private static string WithoutCommentLines(string file)
        => string.Join('\n', File.ReadLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal) && !l.TrimStart().StartsWith("--", StringComparison.Ordinal)));

    [GeneratedRegex(@"(?:[;""]\s*(?:SET|RESET|LISTEN|DISCARD|PREPARE|DECLARE|DEALLOCATE)\s)|\bSET\s+(?:SESSION|ROLE)\b|\bSESSION AUTHORIZATION\b|\bpg_advisory_lock(?:_shared)?\s*\(|\bset_config\s*\(|\bCREATE\s+(?:TEMP|TEMPORARY|UNLOGGED\s+TEMP)\b")]
    private static partial Regex SessionStatePattern();
}
