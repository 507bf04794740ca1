using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Console;

/// <summary>One server per engine for the console page tests; every test makes its own team, so they do not interfere.</summary>
public abstract class ConsoleFixture(DatabaseEngine engine) : IAsyncLifetime
{
    public LatchkeyServerFactory Factory { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Factory = await LatchkeyServerFactory.StartAsync(engine);

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class SqliteConsoleFixture() : ConsoleFixture(DatabaseEngine.Sqlite);

public sealed class PostgresConsoleFixture() : ConsoleFixture(DatabaseEngine.Postgres);
