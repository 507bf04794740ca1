using Latchkey.Protocol.Jwt;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;

namespace Latchkey.Server.Tests.Keys;

public sealed class SigningKeyRotationTests : ServerTest
{
    [Fact]
    public async Task UnknownKid_ConcurrentCallers_ShareOneReload_AndAllFindTheKey()
    {
        var service = Factory.Get<SigningKeyService>();
        await service.GetJwksAsync(CancellationToken.None); // this instance has a fresh cache
        using var key = EcSigningKey.Generate();
        var now = Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Another instance rotates (with no propagation delay, the worst case): this one's cache does not know it.
        await Factory.Get<KeyRepository>().AddSigningKeyAsync(new SigningKeyRow
        {
            Kid = key.KeyId,
            PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
            PrivateKeyProtected = Convert.ToBase64String(Factory.Get<IDataProtectionProvider>().CreateProtector("Latchkey.SigningKeys.v1").Protect(key.ExportPkcs8())),
            CreatedAt = now,
            ActivateAt = now,
        }, CancellationToken.None);

        var found = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => service.FindKeyAsync(key.KeyId, CancellationToken.None))));

        Assert.All(found, k => Assert.Equal(key.KeyId, k?.KeyId));
        Assert.Null(await service.FindKeyAsync("forged-kid", CancellationToken.None));
    }
}
