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

        // What it finds, whatever the case of the words that PostgreSQL ignores…
        foreach (var sessionState in new[]
                 {
                     "\"SET search_path = x\"", "\"\"\"\n    set search_path to x", "SET statement_timeout = 5;", "x */ SET TIME ZONE 'UTC'",
                     "\"SET SESSION AUTHORIZATION lk\"", "SELECT 1;\n  SET ROLE admin", "SELECT 1;\n  RESET ALL", "\"\"\"\n    LISTEN grants;",
                     "SELECT pg_advisory_lock(1)", "SELECT pg_try_advisory_lock_shared(1)", "SELECT set_config('a.b', 'x', false)",
                     "CREATE TEMP TABLE t (x int)", "create global temporary table t (x int)", "SELECT * INTO TEMP t FROM grants",
                     "INSERT INTO pg_temp.t VALUES (1)", "SELECT currval('s')", "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
                 })
        {
            Assert.Matches(SessionStatePattern(), sessionState);
        }

        // …and what it leaves: transaction-scoped settings and locks, an UPDATE's SET, and C# or prose.
        foreach (var harmless in new[]
                 {
                     "\"UPDATE grants\n   SET revoked_at = @now WHERE id = @id\"", "SET LOCAL statement_timeout = 5;", "\"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE\"",
                     "SELECT set_config('a.b', 'x', true)", "SELECT pg_advisory_xact_lock(@key)", "get => read; set => throw new X();", "{ get; set; }",
                     "\"Set up this Latchkey server\"", "\"Reset two-factor authentication\"",
                 })
        {
            Assert.DoesNotMatch(SessionStatePattern(), harmless);
        }
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

    // Statement-initial (at the start of a file, or after ';', a quote or a block comment): PostgreSQL's session
    // commands, which the server writes in capitals like all its SQL, and a SET of a session parameter in any case
    // (not SET LOCAL or SET TRANSACTION, which end with their transaction; an UPDATE's SET follows its table, so keep it
    // in the same literal). Anywhere: session authorization, session advisory locks, set_config unless local, temporary
    // tables, currval/lastval (a reused session answers them with another request's value) and cursors WITH HOLD.
    [GeneratedRegex(
        """(?:\A|[;"]|\*/)\s*(?:RESET|LISTEN|DISCARD|PREPARE|DEALLOCATE)\s"""
        + """|(?i:(?:\A|[;"]|\*/)\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)(?:SESSION\b|ROLE\b|TIME\s+ZONE\b|\w+(?:\.\w+)?\s*(?:=|TO\b)))"""
        + """|(?i:\bSESSION\s+AUTHORIZATION\b|\bpg_(?:try_)?advisory_lock(?:_shared)?\s*\(|\bset_config\s*\((?![^)]*,\s*true\s*\))"""
        + """|\bCREATE\s+(?:(?:LOCAL|GLOBAL)\s+)?TEMP(?:ORARY)?\s+TABLE\b|\bINTO\s+TEMP(?:ORARY)?\s+\w|\bpg_temp\.|\b(?:currval|lastval)\s*\(|\bWITH\s+HOLD\b)""")]
    private static partial Regex SessionStatePattern();
}
