using Latchkey.Protocol.OAuth;

namespace Latchkey.Protocol.Tests;

public sealed class PkceTests
{
    // RFC 7636 Appendix B.
    private const string AppendixBVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private const string AppendixBChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Fact]
    public void ComputeS256Challenge_MatchesRfc7636AppendixB()
        => Assert.Equal(AppendixBChallenge, Pkce.ComputeS256Challenge(AppendixBVerifier));

    [Fact]
    public void Verify_AppendixBPair_Succeeds() => Assert.True(Pkce.Verify(AppendixBVerifier, AppendixBChallenge));

    [Fact]
    public void Verify_WrongVerifier_Fails()
        => Assert.False(Pkce.Verify(Pkce.CreateVerifier(), AppendixBChallenge));

    [Theory]
    [InlineData(null)]
    [InlineData("short")]
    [InlineData("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX")] // 42 characters: below the RFC 7636 §4.1 minimum
    [InlineData("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX+")] // '+' is not an unreserved character
    public void Verify_MalformedVerifier_Fails_Rfc7636Section4_1(string? verifier)
        => Assert.False(Pkce.Verify(verifier, AppendixBChallenge));

    [Fact]
    public void Verify_ChallengeUsedAsVerifier_Fails()
        => Assert.False(Pkce.Verify(AppendixBChallenge, AppendixBChallenge));

    [Fact]
    public void CreateVerifier_IsValidAndUnique()
    {
        var a = Pkce.CreateVerifier();
        Assert.True(Pkce.IsValidVerifier(a));
        Assert.NotEqual(a, Pkce.CreateVerifier());
    }
}
