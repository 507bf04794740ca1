using Latchkey.Protocol.Tokens;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Password hashing: ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (format v3: PBKDF2-HMAC-SHA512,
/// 128-bit salt, 256-bit subkey) at the iteration count the OWASP Password Storage Cheat Sheet gives for
/// PBKDF2-HMAC-SHA512 (210,000; Identity's default is 100,000). One hash costs about 100 ms of one core on the bench
/// machine (bench/README.md), on purpose. So that a burst of sign-ins cannot take every thread-pool thread and starve
/// token traffic, at most one hash per core runs at a time; the others wait without holding a thread.
/// </summary>
public sealed class PasswordHashing
{
    /// <summary>OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA512.</summary>
    public const int Iterations = 210_000;

    private readonly PasswordHasher<UserRow> hasher = new(Options.Create(new PasswordHasherOptions { IterationCount = Iterations }));
    private readonly SemaphoreSlim gate;

    // A real hash of a random password: unknown emails are checked against it so that a miss costs as much as a hit,
    // and response time does not reveal whether an account exists.
    private readonly Lazy<string> dummyHash;

    public PasswordHashing()
        : this(new SemaphoreSlim(Environment.ProcessorCount, Environment.ProcessorCount))
    {
    }

    internal PasswordHashing(SemaphoreSlim gate)
    {
        this.gate = gate;
        dummyHash = new(() => hasher.HashPassword(null!, SecretDigest.NewOpaqueSecret()));
    }

    public async Task<string> HashAsync(UserRow? user, string password, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return hasher.HashPassword(user!, password);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Checks <paramref name="password"/> against <paramref name="hash"/>, or (null) against the dummy hash, which always
    /// fails but costs the same. <see cref="PasswordVerificationResult.SuccessRehashNeeded"/> for a hash made with
    /// fewer iterations: the caller stores a new one.
    /// </summary>
    public async Task<PasswordVerificationResult> VerifyAsync(UserRow? user, string? hash, string password, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var result = hasher.VerifyHashedPassword(user!, hash ?? dummyHash.Value, password);
            return hash is null ? PasswordVerificationResult.Failed : result;
        }
        finally
        {
            gate.Release();
        }
    }
}
