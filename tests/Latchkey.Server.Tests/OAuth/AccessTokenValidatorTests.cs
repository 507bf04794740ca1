using Latchkey.Protocol.Jwt;
using Latchkey.Server.Keys;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

public sealed class AccessTokenValidatorTests : ServerTest
{
    [Fact]
    public async Task SameClaimsButTypJwt_IsRejected_Rfc9068Section4()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out _, out var claims);
        var key = await Factory.Get<SigningKeyService>().GetActiveKeyAsync(CancellationToken.None);
        var asAccess = await ResolveAsync(JwtCodec.Sign(claims, key, "at+jwt"));
        var asPlainJwt = await ResolveAsync(JwtCodec.Sign(claims, key, "JWT"));

        Assert.NotNull(asAccess);
        Assert.Null(asPlainJwt);
    }

    [Fact]
    public async Task ValidSignatureButRevokedGrant_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var valid = await ResolveAsync((string)tokens["access_token"]!);

        await Factory.Get<GrantRepository>().RevokeAsync(valid!.GrantId!, "test", 1, CancellationToken.None);

        Assert.Null(await ResolveAsync((string)tokens["access_token"]!));
    }

    [Fact]
    public async Task TokenSignedByUnpublishedKey_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out var header, out var claims);
        using var rogue = EcSigningKey.Generate();

        Assert.Null(await ResolveAsync(JwtCodec.Sign(claims, rogue, "at+jwt")));
    }

    private async Task<Caller?> ResolveAsync(string token)
        => (await Factory.Get<CallerResolver>().ResolveAsync(token, BearerUse.SignInOnly, null, null, CancellationToken.None)).Caller;
}
