using System.Security.Cryptography;
using Dapper;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Keys;

/// <summary>
/// ASVS 4.0 V6.4.1 / V8.3.4 (secrets at rest): the Data Protection key ring that protects TOTP secrets and signing
/// keys is encrypted with a key kept outside the database, so a copy of the database alone opens nothing.
/// </summary>
public sealed class KeyProtectionTests
{
    [Fact]
    public async Task DatabaseCopyAlone_CannotDecryptTotpSecretOrSigningKey_ASVS_V6_4_1()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        await using var copy = CopyDatabase(factory.Database.ConnectionString);
        var (totp, signing, keyRing) = await ReadSecretsAsync(copy);

        // The stored key ring carries no plain-text master key, only ciphertext of the external key.
        Assert.DoesNotContain("requiresEncryption", keyRing, StringComparison.Ordinal);
        Assert.Contains("latchkeyProtectedSecret", keyRing, StringComparison.Ordinal);

        // An attacker holding only the database (no key), or the database and some other key, opens nothing.
        Assert.ThrowsAny<CryptographicException>(() => Stack(copy, key: null).CreateProtector("Latchkey.Totp.v1").Unprotect(totp));
        Assert.ThrowsAny<CryptographicException>(() => Stack(copy, key: null).CreateProtector("Latchkey.SigningKeys.v1").Unprotect(Convert.FromBase64String(signing)));
        Assert.ThrowsAny<CryptographicException>(() => Stack(copy, KeyProtectionKey.Generate()).CreateProtector("Latchkey.Totp.v1").Unprotect(totp));

        // The control: with the key file from the data directory the same copy opens, so the refusals above are
        // the missing key and not a broken stack.
        var keyFile = Path.Combine(factory.Get<IOptions<LatchkeyServerOptions>>().Value.DataDirectory, KeyProtectionOptions.DefaultFileName);
        var rightKey = new KeyProtectionKey(Convert.FromBase64String(await File.ReadAllTextAsync(keyFile)));
        Assert.Equal(user.TotpSecret, Stack(copy, rightKey).CreateProtector("Latchkey.Totp.v1").Unprotect(totp));
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Startup_WithAKeyThatIsNotThisDatabases_IsRefusedWithAClearMessage(DatabaseEngine engine)
    {
        await using var first = await LatchkeyServerFactory.StartAsync(engine);
        await TestAccounts.CreateEnrolledAsync(first);

        // A second server on the same database but its own (new) data directory, hence a new key.
        using var second = new LatchkeyServerFactory(first.Database, ownsDatabase: false);
        var error = Assert.ThrowsAny<Exception>(() => second.Server);

        var startup = Assert.Single(Chain(error).OfType<StartupException>());
        Assert.Contains("was encrypted with key-protection key", startup.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task PlainTextKeyRingOfAnEarlierVersion_IsEncryptedAtStart_AndTotpAndTokensStillWork(DatabaseEngine engine)
    {
        var db = await TestDatabase.CreateAsync(engine);
        var dataDirectory = Directory.CreateTempSubdirectory("latchkey-upgrade-").FullName;
        var settings = new Dictionary<string, string?> { ["Latchkey:DataDirectory"] = dataDirectory };
        TestUser user;
        System.Text.Json.Nodes.JsonObject tokens;
        await using (var legacy = new LegacyServerFactory(db, settings))
        {
            (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(legacy);
            Assert.Contains("requiresEncryption", await KeyRingXmlAsync(db), StringComparison.Ordinal);
        }

        await using var upgraded = new LatchkeyServerFactory(db, settings);
        _ = upgraded.Server;
        upgraded.Clock.Advance(TimeSpan.FromMinutes(5)); // past the TOTP steps the earlier server used

        var keyRing = await KeyRingXmlAsync(db);
        Assert.DoesNotContain("requiresEncryption", keyRing, StringComparison.Ordinal);
        Assert.Contains("latchkeyProtectedSecret", keyRing, StringComparison.Ordinal);
        using var session = await TestAccounts.SignInAsync(upgraded, user); // TOTP still verifies
        var client = upgraded.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", (string)tokens["access_token"]!);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(new Uri("/oauth/userinfo", UriKind.Relative))).StatusCode);
        var (status, _) = await OAuthFlows.RefreshAsync(upgraded.CreateClient(), (string)tokens["refresh_token"]!);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task FirstStart_MakesDataDirectoryKeyFileAndDatabaseOwnerOnly_AndSaysToBackUpTheKey()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var parent = Directory.CreateTempSubdirectory("latchkey-modes-").FullName;
        var dataDirectory = Path.Combine(parent, "data");
        var log = new CapturedLog();
        await using var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using (var factory = new LoggingServerFactory(db, log, new Dictionary<string, string?>
        {
            ["Latchkey:DataDirectory"] = dataDirectory,
            ["Latchkey:Database:ConnectionString"] = "", // the default: {DataDirectory}/latchkey.db
        }))
        {
            await TestAccounts.CreateEnrolledAsync(factory);
            Assert.Equal(OwnerOnlyFiles.DirectoryMode, File.GetUnixFileMode(dataDirectory));
            foreach (var file in new[] { KeyProtectionOptions.DefaultFileName, "latchkey.db", "latchkey.db-wal", "latchkey.db-shm" })
            {
                Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(Path.Combine(dataDirectory, file)));
            }
        }

        Assert.Single(log.Lines, l => l.Contains("BACK IT UP SEPARATELY", StringComparison.Ordinal));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(parent, recursive: true);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task KeyFileReadableByOthers_IsRefused()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var dir = Directory.CreateTempSubdirectory("latchkey-keyfile-").FullName;
        var keyFile = Path.Combine(dir, "exposed.key");
        await File.WriteAllTextAsync(keyFile, KeyProtectionKey.Generate().ToBase64());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);

        using var factory = new LatchkeyServerFactory(db, new Dictionary<string, string?> { ["Latchkey:KeyProtection:KeyFile"] = keyFile });
        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        Assert.Contains("readable by group or others", error.ToString(), StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task KeyFromSettings_IsUsed_AndNoKeyFileIsWritten()
    {
        var key = KeyProtectionKey.Generate();
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["Latchkey:KeyProtection:Key"] = key.ToBase64() });
        await TestAccounts.CreateEnrolledAsync(factory);

        Assert.Contains($"keyId=\"{key.Id}\"", await KeyRingXmlAsync(factory.Database), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(factory.Get<IOptions<LatchkeyServerOptions>>().Value.DataDirectory, KeyProtectionOptions.DefaultFileName)));
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static IDataProtectionProvider Stack(IDbConnectionFactory db, KeyProtectionKey? key)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().SetApplicationName("Latchkey");
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new DatabaseXmlRepository(new KeyRepository(db), TimeProvider.System);
            o.AutoGenerateKeys = false;
        });
        if (key is not null)
        {
            var options = new LatchkeyServerOptions { KeyProtection = { Key = key.ToBase64() } };
            services.AddSingleton(new KeyProtectionKeyProvider(Options.Create(options), NullLogger<KeyProtectionKeyProvider>.Instance));
        }

        return services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
    }

    private static SqliteConnectionFactory CopyDatabase(string connectionString)
    {
        var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
        var target = Path.Combine(Directory.CreateTempSubdirectory("latchkey-stolen-").FullName, "copy.db");
        foreach (var suffix in new[] { "", "-wal" })
        {
            if (File.Exists(source + suffix))
            {
                File.Copy(source + suffix, target + suffix);
            }
        }

        return new SqliteConnectionFactory($"Data Source={target}");
    }

    private static async Task<(string Totp, string Signing, string KeyRing)> ReadSecretsAsync(SqliteConnectionFactory db)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        var totp = await c.ExecuteScalarAsync<string>("SELECT totp_secret_protected FROM users WHERE totp_secret_protected IS NOT NULL");
        var signing = await c.ExecuteScalarAsync<string>("SELECT private_key_protected FROM signing_keys");
        var keyRing = string.Join("\n", await c.QueryAsync<string>("SELECT xml FROM data_protection_keys"));
        return (totp!, signing!, keyRing);
    }

    private static async Task<string> KeyRingXmlAsync(TestDatabase db)
    {
        var connections = db.CreateFactory();
        await using var c = await connections.OpenAsync(CancellationToken.None);
        return string.Join("\n", await c.QueryAsync<string>("SELECT xml FROM data_protection_keys"));
    }

    /// <summary>The server as versions before key protection ran it: Data Protection with no XML encryptor.</summary>
    private sealed class LegacyServerFactory(TestDatabase db, IDictionary<string, string?> settings) : LatchkeyServerFactory(db, settings, ownsDatabase: false)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.PostConfigure<KeyManagementOptions>(o => o.XmlEncryptor = null));
        }
    }

    private sealed class LoggingServerFactory(TestDatabase db, CapturedLog log, IDictionary<string, string?> settings) : LatchkeyServerFactory(db, settings, ownsDatabase: false)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(log));
        }
    }
}
