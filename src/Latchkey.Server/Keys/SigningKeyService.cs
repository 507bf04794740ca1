using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Keys;

/// <summary>
/// ES256 signing keys. The newest unretired key signs; retired keys stay in JWKS until every token they signed
/// has expired. Keys are cached and reloaded periodically (other instances may rotate) or on an unknown kid.
/// </summary>
public sealed partial class SigningKeyService(
    KeyRepository repository,
    IDataProtectionProvider dataProtection,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time,
    ILogger<SigningKeyService> logger) : IDisposable
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan UnknownKidReloadGap = TimeSpan.FromSeconds(5);
    private readonly IDataProtector protector = dataProtection.CreateProtector("Latchkey.SigningKeys.v1");
    private readonly SemaphoreSlim gate = new(1, 1);
    private KeySet? cache;
    private DateTimeOffset lastUnknownKidReload;

    /// <summary>How long a retired key stays published: the longest token lifetime plus clock skew.</summary>
    private TimeSpan RetiredKeyRetention => Max(options.Value.Lifetimes.AccessToken, options.Value.Lifetimes.IdToken) + TimeSpan.FromMinutes(5);

    public async Task EnsureKeyAsync(CancellationToken cancellationToken)
    {
        using var key = EcSigningKey.Generate();
        if (await repository.TryAddFirstSigningKeyAsync(ToRow(key), cancellationToken))
        {
            LogCreated(logger, key.KeyId);
        }

        cache = null;
    }

    /// <summary>Makes a new key active and retires the current one (which stays in JWKS for a while).</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken)
    {
        using var key = EcSigningKey.Generate();
        await repository.AddActiveSigningKeyAsync(ToRow(key), cancellationToken);
        var cutoff = time.GetUtcNow() - RetiredKeyRetention;
        await repository.DeleteSigningKeysRetiredBeforeAsync(cutoff.ToUnixTimeMilliseconds(), cancellationToken);
        cache = null;
        LogRotated(logger, key.KeyId);
        return key.KeyId;
    }

    public async Task<EcSigningKey> GetActiveKeyAsync(CancellationToken cancellationToken)
    {
        var set = await GetKeySetAsync(forceReload: false, cancellationToken);
        return set.Active ?? throw new InvalidOperationException("No active signing key: the server did not finish start-up.");
    }

    public async Task<IReadOnlyList<EcSigningKey>> GetPublishedKeysAsync(CancellationToken cancellationToken)
        => (await GetKeySetAsync(forceReload: false, cancellationToken)).Published;

    public async Task<JsonObject> GetJwksAsync(CancellationToken cancellationToken)
    {
        var keys = new JsonArray();
        foreach (var key in await GetPublishedKeysAsync(cancellationToken))
        {
            keys.Add(key.ToPublicJwk());
        }

        return new JsonObject { ["keys"] = keys };
    }

    /// <summary>Finds a verification key by kid, reloading once (rate-limited) if another instance rotated.</summary>
    public async Task<EcSigningKey?> FindKeyAsync(string kid, CancellationToken cancellationToken)
    {
        var set = await GetKeySetAsync(forceReload: false, cancellationToken);
        var found = set.Published.FirstOrDefault(k => k.KeyId == kid);
        if (found is null && time.GetUtcNow() - lastUnknownKidReload > UnknownKidReloadGap)
        {
            lastUnknownKidReload = time.GetUtcNow();
            set = await GetKeySetAsync(forceReload: true, cancellationToken);
            found = set.Published.FirstOrDefault(k => k.KeyId == kid);
        }

        return found;
    }

    private async Task<KeySet> GetKeySetAsync(bool forceReload, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var current = cache;
        if (!forceReload && current is not null && now - current.LoadedAt < CacheLifetime)
        {
            return current;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            current = cache;
            if (!forceReload && current is not null && now - current.LoadedAt < CacheLifetime)
            {
                return current;
            }

            var rows = await repository.ListSigningKeysAsync(cancellationToken);
            var cutoff = (now - RetiredKeyRetention).ToUnixTimeMilliseconds();
            EcSigningKey? active = null;
            var published = new List<EcSigningKey>();
            foreach (var row in rows)
            {
                if (row.RetiredAt is null && active is null)
                {
                    var pkcs8 = protector.Unprotect(Convert.FromBase64String(row.PrivateKeyProtected));
                    active = EcSigningKey.FromPkcs8(row.Kid, pkcs8);
                    published.Add(active);
                }
                else if (row.RetiredAt is null || row.RetiredAt >= cutoff)
                {
                    published.Add(EcSigningKey.FromSubjectPublicKeyInfo(row.Kid, Convert.FromBase64String(row.PublicKey)));
                }
            }

            cache = new KeySet(active, published, now);
            return cache;
        }
        finally
        {
            gate.Release();
        }
    }

    private SigningKeyRow ToRow(EcSigningKey key) => new()
    {
        Kid = key.KeyId,
        PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
        PrivateKeyProtected = Convert.ToBase64String(protector.Protect(key.ExportPkcs8())),
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    public void Dispose() => gate.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record KeySet(EcSigningKey? Active, IReadOnlyList<EcSigningKey> Published, DateTimeOffset LoadedAt);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Created the first signing key {Kid}")]
    private static partial void LogCreated(ILogger logger, string kid);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Rotated signing keys; new active key {Kid}")]
    private static partial void LogRotated(ILogger logger, string kid);
}
