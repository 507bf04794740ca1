using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Keys;

/// <summary>
/// ES256 signing keys, shared by every instance through the database. A rotated key is published (JWKS, every
/// instance's cache) at once and signs only after the propagation delay, which is longer than the cache lifetime, so
/// no instance meets a token signed with a key it has not loaded. Retired keys stay published until every token they
/// signed has expired. A token with a kid this instance does not know (a key rotated with a shorter delay, a cache
/// that missed a reload) makes all concurrent callers wait for one reload, not fail.
/// </summary>
public sealed partial class SigningKeyService(
    KeyRepository repository,
    IDataProtectionProvider dataProtection,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time,
    ILogger<SigningKeyService> logger) : IDisposable
{
    private static readonly TimeSpan UnknownKidReloadGap = TimeSpan.FromSeconds(5);
    private readonly IDataProtector protector = dataProtection.CreateProtector("Latchkey.SigningKeys.v1");
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Lock reloadLock = new();
    private KeySet? cache;
    private Task<KeySet>? unknownKidReload;

    private TimeSpan CacheLifetime => options.Value.SigningKeys.CacheLifetime;

    /// <summary>How long a retired key stays published: the longest token lifetime plus clock skew.</summary>
    private TimeSpan RetiredKeyRetention => Max(options.Value.Lifetimes.AccessToken, options.Value.Lifetimes.IdToken) + TimeSpan.FromMinutes(5);

    public async Task EnsureKeyAsync(CancellationToken cancellationToken)
    {
        using var key = EcSigningKey.Generate();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (await repository.TryAddFirstSigningKeyAsync(ToRow(key, activateAt: now), cancellationToken))
        {
            LogCreated(logger, key.KeyId);
        }

        cache = null;
    }

    /// <summary>Publishes a new key now; it signs from the returned time on, and the current key retires then.</summary>
    public async Task<(string Kid, DateTimeOffset ActivatesAt)> RotateAsync(CancellationToken cancellationToken)
    {
        using var key = EcSigningKey.Generate();
        var activatesAt = time.GetUtcNow() + options.Value.SigningKeys.PropagationDelay;
        await repository.AddSigningKeyAsync(ToRow(key, activatesAt.ToUnixTimeMilliseconds()), cancellationToken);
        var cutoff = time.GetUtcNow() - RetiredKeyRetention;
        await repository.DeleteSigningKeysRetiredBeforeAsync(cutoff.ToUnixTimeMilliseconds(), cancellationToken);
        cache = null;
        LogRotated(logger, key.KeyId, activatesAt);
        return (key.KeyId, activatesAt);
    }

    public async Task<EcSigningKey> GetActiveKeyAsync(CancellationToken cancellationToken)
    {
        var set = await GetKeySetAsync(cancellationToken);
        return set.ActiveAt(time.GetUtcNow().ToUnixTimeMilliseconds())
            ?? throw new InvalidOperationException("No active signing key: the server did not finish start-up.");
    }

    public async Task<IReadOnlyList<EcSigningKey>> GetPublishedKeysAsync(CancellationToken cancellationToken)
        => (await GetKeySetAsync(cancellationToken)).Published;

    public async Task<JsonObject> GetJwksAsync(CancellationToken cancellationToken)
    {
        var keys = new JsonArray();
        foreach (var key in await GetPublishedKeysAsync(cancellationToken))
        {
            keys.Add(key.ToPublicJwk());
        }

        return new JsonObject { ["keys"] = keys };
    }

    /// <summary>
    /// Finds a verification key by kid. An unknown kid triggers one reload that every concurrent caller shares; a kid
    /// still unknown after a reload that finished less than 5 s ago is refused without another (forged kids cannot
    /// make every request a database read).
    /// </summary>
    public async Task<EcSigningKey?> FindKeyAsync(string kid, CancellationToken cancellationToken)
    {
        var set = await GetKeySetAsync(cancellationToken);
        var found = set.Published.FirstOrDefault(k => k.KeyId == kid);
        if (found is not null)
        {
            return found;
        }

        Task<KeySet> reload;
        lock (reloadLock)
        {
            var recent = cache is { } loaded && time.GetUtcNow() - loaded.LoadedAt < UnknownKidReloadGap && !ReferenceEquals(loaded, set);
            if (unknownKidReload is { IsCompleted: false } running)
            {
                reload = running;
            }
            else if (recent)
            {
                // Another caller reloaded after this one read its set: look there, do not reload again.
                reload = Task.FromResult(cache!);
            }
            else if (unknownKidReload is { IsCompletedSuccessfully: true } done && time.GetUtcNow() - done.Result.LoadedAt < UnknownKidReloadGap)
            {
                reload = done;
            }
            else
            {
                reload = unknownKidReload = LoadAsync(CancellationToken.None);
            }
        }

        set = await reload.WaitAsync(cancellationToken);
        return set.Published.FirstOrDefault(k => k.KeyId == kid);
    }

    private async Task<KeySet> GetKeySetAsync(CancellationToken cancellationToken)
    {
        var current = cache;
        if (current is not null && time.GetUtcNow() - current.LoadedAt < CacheLifetime)
        {
            return current;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            current = cache;
            if (current is not null && time.GetUtcNow() - current.LoadedAt < CacheLifetime)
            {
                return current;
            }

            return await ReadAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<KeySet> LoadAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await ReadAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<KeySet> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await repository.ListSigningKeysAsync(cancellationToken);
        var nowMs = now.ToUnixTimeMilliseconds();
        var cutoff = (now - RetiredKeyRetention).ToUnixTimeMilliseconds();
        var signers = new List<(long ActivateAt, long? RetiredAt, EcSigningKey Key)>();
        var published = new List<EcSigningKey>();
        foreach (var row in rows)
        {
            if (row.RetiredAt is null || row.RetiredAt > nowMs)
            {
                // Signs now or will: the private part is needed (the current key, and a published successor).
                var key = EcSigningKey.FromPkcs8(row.Kid, protector.Unprotect(Convert.FromBase64String(row.PrivateKeyProtected)));
                signers.Add((row.ActivateAt ?? row.CreatedAt, row.RetiredAt, key));
                published.Add(key);
            }
            else if (row.RetiredAt >= cutoff)
            {
                published.Add(EcSigningKey.FromSubjectPublicKeyInfo(row.Kid, Convert.FromBase64String(row.PublicKey)));
            }
        }

        var set = new KeySet(signers, published, now);
        cache = set;
        return set;
    }

    private SigningKeyRow ToRow(EcSigningKey key, long activateAt) => new()
    {
        Kid = key.KeyId,
        PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
        PrivateKeyProtected = Convert.ToBase64String(protector.Protect(key.ExportPkcs8())),
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        ActivateAt = activateAt,
    };

    public void Dispose() => gate.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record KeySet(IReadOnlyList<(long ActivateAt, long? RetiredAt, EcSigningKey Key)> Signers, IReadOnlyList<EcSigningKey> Published, DateTimeOffset LoadedAt)
    {
        /// <summary>The key that signs at <paramref name="now"/>: the newest one already activated and not retired.</summary>
        public EcSigningKey? ActiveAt(long now)
            => Signers.Where(s => s.ActivateAt <= now && (s.RetiredAt is null || s.RetiredAt > now)).OrderByDescending(s => s.ActivateAt).Select(s => s.Key).FirstOrDefault()
            // A cache loaded just before a successor activated still holds the outgoing key; it stays valid for
            // verification, so signing with it until the next reload is safe.
            ?? Signers.OrderByDescending(s => s.ActivateAt).Where(s => s.ActivateAt <= now).Select(s => s.Key).FirstOrDefault();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Created the first signing key {Kid}")]
    private static partial void LogCreated(ILogger logger, string kid);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Published signing key {Kid}; it signs from {ActivatesAt:O}")]
    private static partial void LogRotated(ILogger logger, string kid, DateTimeOffset activatesAt);
}
