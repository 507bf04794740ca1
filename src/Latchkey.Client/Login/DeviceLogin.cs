using Latchkey.Client.OAuth;

namespace Latchkey.Client.Login;

/// <summary>RFC 8628 device sign-in: show the code, poll at the interval, slow down when told, stop at expiry.</summary>
internal sealed class DeviceLogin(OAuthClient oauth, ILoginUi ui, TimeProvider time)
{
    public async Task<TokenResponse> RunAsync(ServerMetadata server, string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var device = await oauth.StartDeviceAuthorizationAsync(server, clientId, cancellationToken);
        var expiresIn = TimeSpan.FromSeconds(device.ExpiresIn);
        ui.ShowDeviceCode(device.VerificationUri!, device.UserCode!, device.VerificationUriComplete, expiresIn);
        var interval = TimeSpan.FromSeconds(Math.Max(1, device.Interval ?? 5));
        var started = time.GetUtcNow();
        while (true)
        {
            await Task.Delay(interval, time, cancellationToken);
            var elapsed = time.GetUtcNow() - started;
            if (elapsed >= expiresIn)
            {
                throw new LatchkeyException(ErrorCodes.LoginTimedOut, "The device code expired before it was approved. Run `latchkey login --device-auth` again.");
            }

            var (tokens, error, description) = await oauth.PollDeviceAsync(server, clientId, device.DeviceCode!, cancellationToken);
            switch (error)
            {
                case null:
                    return tokens!;
                case "authorization_pending":
                    ui.ShowWaiting(elapsed);
                    break;
                case "slow_down":
                    // RFC 8628 §3.5: add 5 seconds to the interval for this and all later polls.
                    interval += TimeSpan.FromSeconds(5);
                    break;
                case "access_denied":
                    throw new LatchkeyException(ErrorCodes.LoginFailed, "The sign-in was denied in the browser.");
                case "expired_token":
                    throw new LatchkeyException(ErrorCodes.LoginTimedOut, "The device code expired before it was approved. Run `latchkey login --device-auth` again.");
                default:
                    throw new LatchkeyException(ErrorCodes.LoginFailed, $"Device sign-in failed: {description ?? error}");
            }
        }
    }
}
