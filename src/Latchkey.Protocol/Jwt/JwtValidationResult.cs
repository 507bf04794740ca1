using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Latchkey.Protocol.Jwt;

public sealed record JwtValidationResult
{
    private JwtValidationResult(bool isValid, string? error, JwtHeader? header, JsonObject? payload)
    {
        IsValid = isValid;
        Error = error;
        Header = header;
        Payload = payload;
    }

    [MemberNotNullWhen(true, nameof(Payload), nameof(Header))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid { get; }

    /// <summary>A stable reason code when invalid: malformed, unsupported_alg, unknown_kid, bad_signature, bad_issuer, bad_audience, missing_exp, expired, not_yet_valid.</summary>
    public string? Error { get; }

    public JwtHeader? Header { get; }

    public JsonObject? Payload { get; }

    public static JwtValidationResult Ok(JwtHeader header, JsonObject payload) => new(true, null, header, payload);

    public static JwtValidationResult Fail(string error) => new(false, error, null, null);
}
