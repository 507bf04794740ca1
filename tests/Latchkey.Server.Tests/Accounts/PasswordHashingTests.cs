using System.Buffers.Binary;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Accounts;

/// <summary>Password storage strength (ASVS 5.0 §11.4.2, OWASP Password Storage Cheat Sheet) and bounded hashing.</summary>
public sealed class PasswordHashingTests
{
    private static (int Prf, int Iterations) Parameters(string hash)
    {
        // Identity format v3: 0x01, PRF (uint32 BE), iteration count (uint32 BE), salt length, salt, subkey.
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)), (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)));
    }

    [Fact]
    public async Task Hash_IsPbkdf2HmacSha512_WithOwaspIterationCount_Asvs11_4_2()
    {
        var hash = await new PasswordHashing().HashAsync(null, "correct horse battery staple", CancellationToken.None);

        var (prf, iterations) = Parameters(hash);
        Assert.Equal((int)KeyDerivationPrf(), prf);
        Assert.Equal(210_000, iterations); // OWASP: PBKDF2-HMAC-SHA512, 210,000 iterations
    }

    [Fact]
    public async Task Hash_EveryCoreBusyHashing_WaitsForATurnWithoutRunning()
    {
        using var gate = new SemaphoreSlim(1, 1);
        var hashing = new PasswordHashing(gate);
        await gate.WaitAsync(CancellationToken.None); // the one core is hashing

        var waiting = hashing.HashAsync(null, "pw-0123456789", CancellationToken.None);
        var verifying = hashing.VerifyAsync(null, null, "pw-0123456789", CancellationToken.None);

        Assert.False(waiting.IsCompleted);
        Assert.False(verifying.IsCompleted);
        gate.Release();
        Assert.NotEmpty(await waiting);
        Assert.Equal(PasswordVerificationResult.Failed, await verifying);
    }

    [Fact]
    public async Task Verify_NoHash_FailsAgainstTheDummy()
    {
        Assert.Equal(PasswordVerificationResult.Failed, await new PasswordHashing().VerifyAsync(null, null, string.Empty, CancellationToken.None));
    }

    /// <summary>Accounts hashed before the count was raised are stored again at full strength on their next sign-in.</summary>
    [Fact]
    public async Task SignIn_HashWithFewerIterations_IsAcceptedAndRehashed()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        var old = new PasswordHasher<UserRow>(Options.Create(new PasswordHasherOptions { IterationCount = 100_000 })).HashPassword(null!, user.Password);
        await factory.Get<UserRepository>().SetPasswordHashAsync(user.Id, old, CancellationToken.None);

        var result = await factory.Get<AccountService>().CheckPasswordAsync(user.Email, user.Password, null, CancellationToken.None);

        Assert.Equal(SignInOutcome.PasswordAccepted, result.Outcome);
        var stored = (await factory.Get<UserRepository>().FindByIdAsync(user.Id, CancellationToken.None))!.PasswordHash;
        Assert.Equal(PasswordHashing.Iterations, Parameters(stored).Iterations);
    }

    private static Microsoft.AspNetCore.Cryptography.KeyDerivation.KeyDerivationPrf KeyDerivationPrf() => Microsoft.AspNetCore.Cryptography.KeyDerivation.KeyDerivationPrf.HMACSHA512;
}
