using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>An in-process Latchkey server on a fresh database, with a clock the test controls.</summary>
public class LatchkeyServerFactory(TestDatabase database, IDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public const string Issuer = "http://localhost";
    public const string ResourceServerId = "test-resource-server";
    public const string ResourceServerSecret = "resource-server-secret-for-tests-0123456789";

    public ManualTimeProvider Clock { get; } = new();

    public TestDatabase Database => database;

    public static async Task<LatchkeyServerFactory> StartAsync(DatabaseEngine engine, IDictionary<string, string?>? settings = null)
    {
        var db = await TestDatabase.CreateAsync(engine);
        var factory = new LatchkeyServerFactory(db, settings);
        _ = factory.Server; // start now, so migrations run before the test body
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var config = new Dictionary<string, string?>
        {
            ["Latchkey:Issuer"] = Issuer,
            ["Latchkey:DataDirectory"] = Path.GetTempPath(),
            ["Latchkey:Database:Provider"] = database.Provider,
            ["Latchkey:Database:ConnectionString"] = database.ConnectionString,
            ["Latchkey:Clients:0:ClientId"] = ResourceServerId,
            ["Latchkey:Clients:0:SecretSha256"] = Latchkey.Protocol.Tokens.SecretDigest.Compute(ResourceServerSecret),
            ["Latchkey:Clients:0:AllowDeviceCode"] = "false",
            ["Latchkey:Clients:1:ClientId"] = "web-app",
            ["Latchkey:Clients:1:DisplayName"] = "Example Web App",
            ["Latchkey:Clients:1:RedirectUris:0"] = "https://app.example/callback",
            ["Latchkey:RateLimits:TokenEndpointPerMinute"] = "100000",
            ["Latchkey:RateLimits:SignInPerMinute"] = "100000",
            ["Latchkey:RateLimits:DeviceEntryPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        foreach (var (k, v) in config)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);

            // Every connection goes through a counter, so hot-path tests can assert round trips.
            var real = services.Single(s => s.ServiceType == typeof(IDbConnectionFactory));
            services.Remove(real);
            services.AddSingleton(sp => new CountingConnectionFactory((IDbConnectionFactory)real.ImplementationFactory!(sp)));
            services.AddSingleton<IDbConnectionFactory>(sp => sp.GetRequiredService<CountingConnectionFactory>());
        });
    }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }
}
