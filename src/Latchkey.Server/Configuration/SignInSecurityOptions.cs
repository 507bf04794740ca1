namespace Latchkey.Server.Configuration;

public sealed class SignInSecurityOptions
{
    public int MaxFailedAttempts { get; set; } = 5;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public int MinimumPasswordLength { get; set; } = 12;

    /// <summary>Wrong user codes allowed per source address and per account within <see cref="FailureWindow"/>.</summary>
    public int MaxWrongUserCodes { get; set; } = 10;
}
