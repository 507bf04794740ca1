using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>An in-process Latchkey server on a fresh database, with a clock the test controls.</summary>
public class LatchkeyServerFactory(TestDatabase database, IDictionary<string, string?>? settings = null, bool ownsDatabase = true) : WebApplicationFactory<Program>
{
    // Each server gets its own data directory, where the first start creates its key-protection key.
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("latchkey-data-").FullName;

    public const string Issuer = "http://localhost";
    public const string ResourceServerId = "test-resource-server";
    public const string ResourceServerSecret = "resource-server-secret-for-tests-0123456789";

    public ManualTimeProvider Clock { get; } = new();

    /// <summary>What the server logged (Warning and above, as configured below).</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>Every connection the server opens goes through this counter.</summary>
    public CountingConnectionFactory Connections => Get<CountingConnectionFactory>();

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
            ["Latchkey:DataDirectory"] = dataDirectory,
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

        builder.ConfigureLogging(logging => logging.AddProvider(Log));
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IStartupFilter, TestRemoteAddress>();

            // Every connection goes through a counter, so hot-path tests can assert round trips.
            var real = services.Single(s => s.ServiceType == typeof(IDbConnectionFactory));
            services.Remove(real);
            services.AddSingleton(sp => new CountingConnectionFactory((IDbConnectionFactory)real.ImplementationFactory!(sp)));
            services.AddSingleton<IDbConnectionFactory>(sp => sp.GetRequiredService<CountingConnectionFactory>());
        });
    }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Usage events (gateway requests, access-token uses) are written off the request path: wait for them.</summary>
    public Task FlushUsageEventsAsync() => Get<BackgroundAuditWriter>().FlushAsync(CancellationToken.None);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (ownsDatabase)
        {
            await database.DisposeAsync();
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
