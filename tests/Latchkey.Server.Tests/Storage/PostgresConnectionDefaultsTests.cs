using Latchkey.Server.Storage;
using Npgsql;

namespace Latchkey.Server.Tests.Storage;

public sealed class PostgresConnectionDefaultsTests
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
}
