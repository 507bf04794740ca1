using System.Text;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Protocol.Tests;

public sealed class TokenFormatTests
{
    [Fact]
    public void Crc32_MatchesStandardCheckValue()
        => Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Theory]
    [InlineData(TokenFormat.AccessTokenPrefix)]
    [InlineData(TokenFormat.ApiKeyPrefix)]
    public void Generate_IsWellFormed(string prefix)
    {
        var token = TokenFormat.Generate(prefix);

        Assert.StartsWith(prefix, token, StringComparison.Ordinal);
        Assert.Equal(prefix.Length + 49, token.Length);
        Assert.True(TokenFormat.IsWellFormed(token, prefix));
    }

    [Fact]
    public void IsWellFormed_EverySingleCharacterTypo_IsDetected()
    {
        var token = TokenFormat.Generate(TokenFormat.AccessTokenPrefix);
        for (var i = TokenFormat.AccessTokenPrefix.Length; i < token.Length; i++)
        {
            var replacement = token[i] == 'a' ? 'b' : 'a';
            var typo = token[..i] + replacement + token[(i + 1)..];
            Assert.False(TokenFormat.IsWellFormed(typo, TokenFormat.AccessTokenPrefix), $"typo at {i} passed");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("at-")]
    [InlineData("sk-lk-abc")]
    public void IsWellFormed_Garbage_IsFalse(string? token)
        => Assert.False(TokenFormat.IsWellFormed(token, TokenFormat.AccessTokenPrefix));

    [Fact]
    public void IsWellFormed_WrongPrefix_IsFalse()
        => Assert.False(TokenFormat.IsWellFormed(TokenFormat.Generate(TokenFormat.ApiKeyPrefix), TokenFormat.AccessTokenPrefix));

    [Theory]
    [InlineData("sk-lk-abcdefghijklmnopqrstuvwxyz", "sk-lk-ab***vwxyz")]
    [InlineData("short-key-123", "***")]
    [InlineData("", "")]
    public void Mask_ShowsOnlyEnds(string secret, string expected) => Assert.Equal(expected, TokenFormat.Mask(secret));

    [Fact]
    public void SecretDigest_IsStableAndDistinct()
    {
        Assert.Equal(SecretDigest.Compute("a"), SecretDigest.Compute("a"));
        Assert.NotEqual(SecretDigest.Compute("a"), SecretDigest.Compute("b"));
        var secret = TokenFormat.Generate(TokenFormat.AccessTokenPrefix);
        Assert.DoesNotContain(secret[3..20], SecretDigest.Compute(secret), StringComparison.Ordinal);
        Assert.Equal(43, SecretDigest.Compute(secret).Length);
    }
}
