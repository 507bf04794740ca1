using Latchkey.Protocol.Jwt;
using Latchkey.Server.Keys;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

public sealed class AccessTokenValidatorTests : IAsyncLifetime
{
    private LatchkeyServerFactory factory = null!;

    public async ValueTask InitializeAsync() => factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);

    public async ValueTask DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task SameClaimsButTypJwt_IsRejected_Rfc9068Section4()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(factory);
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out _, out var claims);
        var key = await factory.Get<SigningKeyService>().GetActiveKeyAsync(CancellationToken.None);
        var validator = factory.Get<AccessTokenValidator>();

        var asAccess = await validator.ValidateAsync(JwtCodec.Sign(claims, key, "at+jwt"), CancellationToken.None);
        var asPlainJwt = await validator.ValidateAsync(JwtCodec.Sign(claims, key, "JWT"), CancellationToken.None);

        Assert.NotNull(asAccess);
        Assert.Null(asPlainJwt);
    }

    [Fact]
    public async Task ValidSignatureButRevokedGrant_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(factory);
        var validator = factory.Get<AccessTokenValidator>();
        var valid = await validator.ValidateAsync((string)tokens["access_token"]!, CancellationToken.None);

        await factory.Get<GrantRepository>().RevokeAsync(valid!.Grant.Id, "test", 1, CancellationToken.None);

        Assert.Null(await validator.ValidateAsync((string)tokens["access_token"]!, CancellationToken.None));
    }

    [Fact]
    public async Task TokenSignedByUnpublishedKey_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(factory);
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out var header, out var claims);
        using var rogue = EcSigningKey.Generate();

        Assert.Null(await factory.Get<AccessTokenValidator>().ValidateAsync(JwtCodec.Sign(claims, rogue, "at+jwt"), CancellationToken.None));
    }
}
