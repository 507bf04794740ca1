using Latchkey.Server.Storage;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>A test class with its own in-process server on a fresh database, started before each test.</summary>
public abstract class ServerTest(DatabaseEngine engine = DatabaseEngine.Sqlite, IDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    protected LatchkeyServerFactory Factory { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync() => Factory = await LatchkeyServerFactory.StartAsync(engine, settings);

    public virtual async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}
