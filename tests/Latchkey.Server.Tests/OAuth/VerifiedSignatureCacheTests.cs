using Latchkey.Server.OAuth;

namespace Latchkey.Server.Tests.OAuth;

public sealed class VerifiedSignatureCacheTests
{
    private const string Token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl";

    [Fact]
    public void Remembers_the_whole_token_and_the_key_that_verified_it_RFC7515_Section5_2()
    {
        using var cache = new VerifiedSignatureCache(TimeProvider.System);
        cache.Remember(Token, "kid-1", DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.True(cache.WasVerified(Token, "kid-1"));
        Assert.False(cache.WasVerified(Token[..^1] + "A", "kid-1")); // another signature is another token
        Assert.False(cache.WasVerified(Token, "kid-2"));
    }

    [Fact]
    public void Keeps_nothing_for_a_token_already_expired()
    {
        using var cache = new VerifiedSignatureCache(TimeProvider.System);
        cache.Remember(Token, "kid-1", DateTimeOffset.UtcNow.AddSeconds(-1));

        Assert.False(cache.WasVerified(Token, "kid-1"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Is_bounded_in_count()
    {
        using var cache = new VerifiedSignatureCache(TimeProvider.System);
        for (var i = 0; i < VerifiedSignatureCache.Capacity + 2_000; i++)
        {
            cache.Remember($"{Token}{i}", "kid-1", DateTimeOffset.UtcNow.AddMinutes(5));
        }

        Assert.InRange(cache.Count, 1, VerifiedSignatureCache.Capacity);
    }
}
