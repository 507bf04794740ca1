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
        var validator = Factory.Get<AccessTokenValidator>();

        var asAccess = await validator.ValidateAsync(JwtCodec.Sign(claims, key, "at+jwt"), CancellationToken.None);
        var asPlainJwt = await validator.ValidateAsync(JwtCodec.Sign(claims, key, "JWT"), CancellationToken.None);

        Assert.NotNull(asAccess);
        Assert.Null(asPlainJwt);
    }

    [Fact]
    public async Task ValidSignatureButRevokedGrant_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var validator = Factory.Get<AccessTokenValidator>();
        var valid = await validator.ValidateAsync((string)tokens["access_token"]!, CancellationToken.None);

        await Factory.Get<GrantRepository>().RevokeAsync(valid!.Grant.Id, "test", 1, CancellationToken.None);

        Assert.Null(await validator.ValidateAsync((string)tokens["access_token"]!, CancellationToken.None));
    }

    [Fact]
    public async Task TokenSignedByUnpublishedKey_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out var header, out var claims);
        using var rogue = EcSigningKey.Generate();

        Assert.Null(await Factory.Get<AccessTokenValidator>().ValidateAsync(JwtCodec.Sign(claims, rogue, "at+jwt"), CancellationToken.None));
    }
}
