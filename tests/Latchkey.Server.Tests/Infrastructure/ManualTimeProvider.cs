namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>A clock the test moves. Starts at the real time so cookies and Data Protection stay happy.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
