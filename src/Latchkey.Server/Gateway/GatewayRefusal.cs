namespace Latchkey.Server.Gateway;

/// <summary>Why the gateway answers itself instead of forwarding: a status, a stable code, one readable sentence.</summary>
public sealed record GatewayRefusal(int Status, string Code, string Message, int? RetryAfterSeconds = null);
