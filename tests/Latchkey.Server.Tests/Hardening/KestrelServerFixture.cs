using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>One in-process server on a real Kestrel socket (127.0.0.1, a free port), for tests about what reaches the wire.</summary>
public sealed class KestrelServerFixture : IAsyncLifetime
{
    public LatchkeyServerFactory Factory { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        Factory = new LatchkeyServerFactory(db, new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0" });
        Factory.UseKestrel();
        Factory.StartServer();
        Address = new Uri(Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}
