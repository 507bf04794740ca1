namespace Latchkey.Client;

/// <summary>
/// A source of Latchkey bearer tokens, in the shape of Azure.Core's <c>TokenCredential</c> without depending on it:
/// each call returns a token that is valid now (refreshed first when close to expiry) and when it expires, so code
/// that wants a bearer (a gRPC interceptor, a WebSocket, a hand-built request) need not know how it was obtained.
/// </summary>
public interface ILatchkeyTokenSource
{
    /// <summary>The credential to send now. Throws <see cref="LatchkeyException"/> (stable <see cref="LatchkeyException.Code"/>) when there is none.</summary>
    ValueTask<LatchkeyCredential> GetTokenAsync(CancellationToken cancellationToken);
}
