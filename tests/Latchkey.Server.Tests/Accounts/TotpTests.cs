using System.Text;
using Latchkey.Server.Accounts;
using Base32Encoding = OtpNet.Base32Encoding;
using OtpHashMode = OtpNet.OtpHashMode;

namespace Latchkey.Server.Tests.Accounts;

public sealed class TotpTests
{
    private static readonly byte[] Sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");

    // RFC 6238 Appendix B test vectors (8 digits).
    [Theory]
    [InlineData(59L, "94287082", "46119246")]
    [InlineData(1111111109L, "07081804", "68084774")]
    [InlineData(1111111111L, "14050471", "67062674")]
    [InlineData(1234567890L, "89005924", "91819424")]
    [InlineData(2000000000L, "69279037", "90698825")]
    [InlineData(20000000000L, "65353130", "77737706")]
    public void Compute_MatchesRfc6238AppendixB(long unixTime, string sha1, string sha256)
    {
        var step = Totp.GetStep(DateTimeOffset.FromUnixTimeSeconds(unixTime));

        Assert.Equal(sha1, Totp.Compute(Sha1Seed, step, 8));
        Assert.Equal(sha256, Totp.Compute(Sha256Seed, step, 8, OtpHashMode.Sha256));
    }

    // The same vectors through the verification path: a 6-digit code is the 8-digit value mod 10^6 (RFC 4226 §5.3).
    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    public void FindMatchingStep_AcceptsRfc6238AppendixBCodeAtItsTime(long unixTime, string sha1)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(unixTime);

        Assert.Equal(Totp.GetStep(now), Totp.FindMatchingStep(Sha1Seed, sha1[2..], now));
        Assert.Null(Totp.FindMatchingStep(Sha1Seed, sha1[2..], now.AddSeconds(3 * Totp.StepSeconds)));
    }

    [Fact]
    public void FindMatchingStep_AcceptsOneStepOfDrift_NotTwo_Rfc6238Section5_2()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var step = Totp.GetStep(now);

        Assert.Equal(step - 1, Totp.FindMatchingStep(Sha1Seed, Totp.Compute(Sha1Seed, step - 1), now));
        Assert.Equal(step + 1, Totp.FindMatchingStep(Sha1Seed, Totp.Compute(Sha1Seed, step + 1), now));
        Assert.Null(Totp.FindMatchingStep(Sha1Seed, Totp.Compute(Sha1Seed, step - 2), now));
        Assert.Null(Totp.FindMatchingStep(Sha1Seed, Totp.Compute(Sha1Seed, step + 2), now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    public void FindMatchingStep_Malformed_IsNull(string? code)
        => Assert.Null(Totp.FindMatchingStep(Sha1Seed, code, DateTimeOffset.UtcNow));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not base32!")]
    [InlineData(null)]
    public void TryDecodeSecret_NotBase32_IsFalse(string? text)
        => Assert.False(Totp.TryDecodeSecret(text, out _));

    [Fact]
    public void NewSecret_Is160BitsUnpaddedBase32_AndRoundTrips()
    {
        var secret = Totp.NewSecretBase32();

        Assert.Equal(32, secret.Length);
        Assert.DoesNotContain('=', secret);
        Assert.True(Totp.TryDecodeSecret(secret.ToLowerInvariant(), out var bytes));
        Assert.Equal(20, bytes.Length);
    }

    // RFC 4648 §10 test vectors: the key encoding authenticator apps read, from Otp.NET.
    [Theory]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32_MatchesRfc4648Section10(string text, string encoded)
    {
        Assert.Equal(encoded, Base32Encoding.ToString(Encoding.ASCII.GetBytes(text)).TrimEnd('='));
        Assert.True(Totp.TryDecodeSecret(encoded.ToLowerInvariant(), out var decoded));
        Assert.Equal(text, Encoding.ASCII.GetString(decoded));
    }
}
