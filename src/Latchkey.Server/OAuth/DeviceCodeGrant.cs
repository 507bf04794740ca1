using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.OAuth;

/// <summary>The device_code grant: polling responses of RFC 8628 §3.5.</summary>
public sealed class DeviceCodeGrant(IDbConnectionFactory db, DeviceCodeRepository deviceCodes, TokenIssuer issuer, LocalAccessGate localAccess, TimeProvider time)
{
    public async Task<(JsonObject? Response, OAuthError? Error)> HandleAsync(RegisteredClient client, OAuthParameters p, string? ip, string device, CancellationToken cancellationToken)
    {
        var deviceCode = p["device_code"];
        if (deviceCode is null)
        {
            return (null, OAuthError.InvalidRequest("device_code is required."));
        }

        var hash = SecretDigest.Compute(deviceCode);
        var row = await deviceCodes.FindByDeviceCodeAsync(hash, cancellationToken);
        if (row is null || row.ClientId != client.ClientId)
        {
            return (null, OAuthError.InvalidGrant("The device code is invalid."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now >= row.ExpiresAt && row.Status is DeviceCodeRow.Pending or DeviceCodeRow.Approved)
        {
            return (null, new OAuthError(OAuthErrors.ExpiredToken, "The device code has expired. Start again."));
        }

        switch (row.Status)
        {
            case DeviceCodeRow.Denied:
                return (null, new OAuthError(OAuthErrors.AccessDenied, "The request was denied."));
            case DeviceCodeRow.Consumed:
                return (null, OAuthError.InvalidGrant("The device code was already used."));
            case DeviceCodeRow.Pending:
                // RFC 8628 §3.5: polling faster than the interval earns slow_down, and the interval grows by 5 s.
                var tooFast = row.LastPolledAt is not null && now - row.LastPolledAt.Value < row.IntervalSeconds * 1000;
                var interval = tooFast ? row.IntervalSeconds + 5 : row.IntervalSeconds;
                await deviceCodes.RecordPollAsync(hash, now, interval, cancellationToken);
                return tooFast
                    ? (null, new OAuthError(OAuthErrors.SlowDown, $"Polling too fast; wait {interval} seconds between requests."))
                    : (null, new OAuthError(OAuthErrors.AuthorizationPending, "Waiting for the user to approve."));
        }

        // The policy may have changed between approval and this poll.
        if (await localAccess.CheckAsync(WorkspaceAction.SignInWithDevice, new AccessTarget { LocalClient = client.IsLocal, SignInAmr = row.Amr }, row.UserId!, row.WorkspaceId!, client.ClientId, ip, "device_exchange", cancellationToken) is { } denied)
        {
            return (null, OAuthError.PolicyDenied(denied.Message));
        }

        // Consumed in the transaction that creates the grant, one commit: the conditional UPDATE lets exactly one of
        // any number of concurrent polls (on any instance) through, so one approval makes one grant, and a failure
        // before the commit leaves neither a consumed approval nor an orphan grant nobody holds.
        IssuedGrant issued;
        await using (var tx = await WriteTransaction.BeginAsync(db, cancellationToken))
        {
            var grantId = TokenIssuer.NewGrantId();
            if (!await deviceCodes.TryConsumeAsync(tx, hash, grantId))
            {
                return (null, OAuthError.InvalidGrant("The device code was already used."));
            }

            issued = await issuer.CreateGrantAsync(tx, client.ClientId, row.UserId!, row.WorkspaceId!, row.Scope, row.AuthTime ?? now, ip, grantId, row.Amr, device);
            await tx.CommitAsync();
        }

        var response = await issuer.BuildResponseAsync(issued.Grant, issued.RefreshToken, null, cancellationToken);
        return (response, null);
    }
}
