using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Protocol.Jwt;
using Microsoft.Extensions.Caching.Memory;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The access tokens this instance has already verified, so a CLI or Codex presenting the same token on every request
/// costs one ES256 verification per token instead of one per request (the verification was a quarter of a bearer
/// request's CPU: bench/README.md). Keyed by the SHA-256 digest of the whole token — signature included, so a token
/// altered in any byte is a different entry and is verified — and the kid that verified it; the token itself is not
/// kept. Bounded in count; an entry lives no longer than its token. Revocation is unaffected: the grant behind the token
/// is read from the database on every request (<see cref="CallerResolver"/>), and a key that is no longer published
/// refuses its tokens before this cache is asked.
/// </summary>
public sealed class VerifiedSignatureCache : IVerifiedSignatures, IDisposable
{
    /// <summary>Enough for every active sign-in of a large organisation; past it the oldest are dropped and verified again.</summary>
    public const int Capacity = 20_000;

    /// <summary>An entry is kept at most this long even for a longer-lived token.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(15);

    private readonly MemoryCache entries;
    private readonly TimeProvider time;

    public VerifiedSignatureCache(TimeProvider time)
    {
        this.time = time;
        entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = Capacity, CompactionPercentage = 0.25 });
    }

    public bool WasVerified(string token, string keyId)
        => entries.TryGetValue(Digest(token), out var verifiedBy) && verifiedBy is string kid && kid == keyId;

    public void Remember(string token, string keyId, DateTimeOffset expiresAt)
    {
        var lifetime = expiresAt - time.GetUtcNow();
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        entries.Set(Digest(token), keyId, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = lifetime < MaxAge ? lifetime : MaxAge,
        });
    }

    public int Count => entries.Count;

    public void Dispose() => entries.Dispose();

    private static string Digest(string token)
    {
        // Tokens are ASCII (base64url and dots) and at most 16 KiB (JwtCodec refuses longer before this is asked).
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(token.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(token, buffer);
            return Convert.ToBase64String(SHA256.HashData(buffer.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
