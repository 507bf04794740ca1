namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>A server under measurement: Latchkey on an engine, or the peer oidc-provider, driven by the same requests.</summary>
public interface IBenchTarget : IAsyncDisposable
{
    string Name { get; }

    ProcessMeter Meter { get; }

    /// <summary>Shared by every virtual client (one connection each), based at the issuer.</summary>
    HttpClient Http { get; }

    string ClientId { get; }

    string RedirectUri { get; }

    string TokenPath { get; }

    string UserInfoPath { get; }

    string DeviceAuthorizationPath { get; }

    /// <summary>Authorization codes for the signed-in bench user, made ahead of the timed part.</summary>
    Task<IReadOnlyList<PkceCode>> MintCodesAsync(int count, CancellationToken cancellationToken);

    /// <summary>The user approves <paramref name="userCode"/> (RFC 8628 §3.3), as they would in a browser.</summary>
    Task ApproveDeviceAsync(string userCode, CancellationToken cancellationToken);
}
