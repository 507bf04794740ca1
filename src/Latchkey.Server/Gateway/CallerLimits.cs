using System.Collections.Concurrent;
using Latchkey.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Gateway;

/// <summary>
/// Per-credential bounds on the gateway: requests in flight at once, and requests started per minute (a fixed window
/// per credential on the injected clock). One leaked or runaway credential cannot take the whole upstream quota or the
/// server's memory (OWASP ASVS 5.0 V2.4.1 anti-automation; RFC 6585 §4 429 with Retry-After).
/// </summary>
public sealed class CallerLimits(IOptions<LatchkeyServerOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);

    /// <summary>A lease to release when the request ends, or the seconds to wait before trying again.</summary>
    public (IDisposable? Lease, int RetryAfterSeconds, string? Reason) TryEnter(string credentialId)
    {
        ArgumentNullException.ThrowIfNull(credentialId);
        var gateway = options.Value.Gateway;
        var now = clock.GetUtcNow();
        if (counters.Count > 10_000)
        {
            Prune(now);
        }

        var counter = counters.GetOrAdd(credentialId, _ => new Counter(now));
        lock (counter)
        {
            if (now - counter.WindowStart >= Window)
            {
                counter.WindowStart = now;
                counter.Started = 0;
            }

            if (counter.InFlight >= gateway.ConcurrentRequestsPerCaller)
            {
                return (null, 1, "concurrency");
            }

            if (counter.Started >= gateway.RequestsPerMinutePerCaller)
            {
                return (null, Math.Max(1, (int)Math.Ceiling((counter.WindowStart + Window - now).TotalSeconds)), "rate");
            }

            counter.Started++;
            counter.InFlight++;
            return (new Lease(counter), 0, null);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, counter) in counters)
        {
            lock (counter)
            {
                if (counter.InFlight == 0 && now - counter.WindowStart >= Window)
                {
                    counters.TryRemove(new KeyValuePair<string, Counter>(key, counter));
                }
            }
        }
    }

    private sealed class Counter(DateTimeOffset windowStart)
    {
        public DateTimeOffset WindowStart { get; set; } = windowStart;

        public int Started { get; set; }

        public int InFlight { get; set; }
    }

    private sealed class Lease(Counter counter) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                lock (counter)
                {
                    counter.InFlight--;
                }
            }
        }
    }
}
