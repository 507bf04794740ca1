using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>RFC 8628: issuing device and user codes, and the user's approval or denial.</summary>
public sealed class DeviceAuthorizationService(
    DeviceCodeRepository deviceCodes,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    // Wrong user-code entries per source address and per account, in a sliding window (RFC 8628 §5.1).
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> wrongEntries = new(StringComparer.Ordinal);

    public async Task<JsonObject> CreateAsync(RegisteredClient client, string scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ServerMetrics.DeviceFlow("started");
        var lifetimes = options.Value.Lifetimes;
        var now = time.GetUtcNow();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var deviceCode = SecretDigest.NewOpaqueSecret();
            var userCode = UserCodes.Generate();
            var created = await deviceCodes.TryCreateAsync(
                new DeviceCodeRow
                {
                    DeviceCodeHash = SecretDigest.Compute(deviceCode),
                    UserCodeHash = SecretDigest.Compute(userCode),
                    ClientId = client.ClientId,
                    Scope = scope,
                    CreatedAt = now.ToUnixTimeMilliseconds(),
                    ExpiresAt = (now + lifetimes.DeviceCode).ToUnixTimeMilliseconds(),
                    IntervalSeconds = (long)lifetimes.DevicePollInterval.TotalSeconds,
                    Status = DeviceCodeRow.Pending,
                },
                cancellationToken);
            if (!created)
            {
                continue;
            }

            var verificationUri = options.Value.ResolveIssuer() + "/device";
            return new JsonObject
            {
                ["device_code"] = deviceCode,
                ["user_code"] = UserCodes.Format(userCode),
                ["verification_uri"] = verificationUri,
                ["verification_uri_complete"] = verificationUri + "?user_code=" + UserCodes.Format(userCode),
                ["expires_in"] = (long)lifetimes.DeviceCode.TotalSeconds,
                ["interval"] = (long)lifetimes.DevicePollInterval.TotalSeconds,
            };
        }

        throw new InvalidOperationException("Could not draw a unique user code.");
    }

    /// <summary>True when this address or account has entered too many wrong codes recently.</summary>
    public bool IsEntryBlocked(string? ipAddress, string userId)
        => CountRecent("ip:" + ipAddress) >= options.Value.SignIn.MaxWrongUserCodes
           || CountRecent("user:" + userId) >= options.Value.SignIn.MaxWrongUserCodes;

    /// <summary>Finds a pending, unexpired request by the code the user typed. Wrong codes count towards the limit.</summary>
    public async Task<DeviceCodeRow?> FindPendingAsync(string? enteredCode, string? ipAddress, string userId, CancellationToken cancellationToken)
    {
        var normalized = UserCodes.Normalize(enteredCode);
        var row = normalized is null ? null : await deviceCodes.FindByUserCodeAsync(SecretDigest.Compute(normalized), cancellationToken);
        if (row is null || row.Status != DeviceCodeRow.Pending || row.ExpiresAt <= time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            RecordWrong("ip:" + ipAddress);
            RecordWrong("user:" + userId);
            return null;
        }

        return row;
    }

    public async Task<bool> DecideAsync(string enteredCode, bool approve, string userId, string? workspaceId, long authTime, string? amr, string? ipAddress, CancellationToken cancellationToken)
    {
        var normalized = UserCodes.Normalize(enteredCode);
        if (normalized is null)
        {
            return false;
        }

        var hash = SecretDigest.Compute(normalized);
        var row = await deviceCodes.FindByUserCodeAsync(hash, cancellationToken);
        var decided = await deviceCodes.TryDecideAsync(
            hash, approve ? DeviceCodeRow.Approved : DeviceCodeRow.Denied, userId, workspaceId, authTime, amr, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (decided)
        {
            await audit.WriteAsync(approve ? AuditEventTypes.DeviceApproved : AuditEventTypes.DeviceDenied, userId, workspaceId, row?.ClientId, ipAddress, cancellationToken: cancellationToken);
        }

        return decided;
    }

    private int CountRecent(string key)
    {
        if (!wrongEntries.TryGetValue(key, out var queue))
        {
            return 0;
        }

        var cutoff = time.GetUtcNow() - options.Value.SignIn.FailureWindow;
        while (queue.TryPeek(out var oldest) && oldest < cutoff)
        {
            queue.TryDequeue(out _);
        }

        return queue.Count;
    }

    private void RecordWrong(string key) => wrongEntries.GetOrAdd(key, _ => new ConcurrentQueue<DateTimeOffset>()).Enqueue(time.GetUtcNow());
}
