using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Json;

namespace Latchkey.Protocol.Jwt;

/// <summary>
/// Encodes and verifies compact JWS tokens (RFC 7515) signed with ES256 (RFC 7518 §3.4).
/// Only ES256 exists here: no "none", no HMAC, so algorithm-confusion attacks have nothing to confuse.
/// </summary>
public static class JwtCodec
{
    public const string Algorithm = "ES256";

    private const int MaxDepth = 8;

    /// <summary>ES256: r and s, 32 bytes each (RFC 7518 §3.4); 86 characters in base64url.</summary>
    private const int SignatureLength = 64;
    private const int SignatureSegmentLength = 86;

    public static string Sign(JsonObject payload, EcSigningKey key, string type = "JWT")
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(key);
        if (!key.HasPrivateKey)
        {
            throw new InvalidOperationException("A verification-only key cannot sign.");
        }

        // Written once as UTF-8 and base64url-encoded in place: a token is signed on every grant, and building it
        // through strings (JSON text, concatenation, then bytes again to sign) cost as much as the rest of the encoding.
        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            payload.WriteTo(writer);
        }

        var header = key.EncodedHeader(type);
        var payloadLength = Base64Url.GetEncodedLength(json.WrittenCount);
        var signingLength = header.Length + 1 + payloadLength;
        var buffer = ArrayPool<byte>.Shared.Rent(signingLength + 1 + SignatureSegmentLength);
        try
        {
            header.CopyTo(buffer);
            buffer[header.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(json.WrittenSpan, buffer.AsSpan(header.Length + 1, payloadLength));
            // JWS uses the IEEE P1363 (r||s) form, not DER (RFC 7518 §3.4).
            Span<byte> signature = stackalloc byte[SignatureLength];
            if (!key.Key.TrySignData(buffer.AsSpan(0, signingLength), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written)
                || written != SignatureLength)
            {
                throw new CryptographicException("ES256 signing did not produce a 64-byte signature.");
            }

            buffer[signingLength] = (byte)'.';
            Base64Url.EncodeToUtf8(signature, buffer.AsSpan(signingLength + 1, SignatureSegmentLength));
            return Encoding.ASCII.GetString(buffer, 0, signingLength + 1 + SignatureSegmentLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The protected header, base64url: the same for every token a key signs with one "typ".</summary>
    internal static byte[] EncodeHeader(string keyId, string type)
        => Encoding.ASCII.GetBytes(Base64Url.EncodeToString(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = Algorithm, ["kid"] = keyId, ["typ"] = type }.ToJsonString())));

    /// <summary>Splits and decodes a token without checking its signature. For display and routing only.</summary>
    public static bool TryDecodeUnverified(string? token, out JwtHeader header, out JsonObject payload)
    {
        header = new JwtHeader(string.Empty, null, null);
        payload = new JsonObject();
        if (string.IsNullOrEmpty(token) || token.Length > 16 * 1024)
        {
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            // RFC 7515 §4 / RFC 8725 §3.10: a header or claims set that repeats a member, or is not valid Unicode, is
            // refused outright rather than read one way here and another way by someone else's parser.
            if (!StrictJson.TryParseObject(Base64Url.DecodeFromChars(parts[0]), out var h, out _, MaxDepth)
                || !StrictJson.TryParseObject(Base64Url.DecodeFromChars(parts[1]), out var p, out _, MaxDepth))
            {
                return false;
            }

            header = new JwtHeader(GetString(h!, "alg") ?? string.Empty, GetString(h!, "kid"), GetString(h!, "typ"));
            payload = p!;
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Verifies the signature and the registered claims. Returns the payload or a reason.
    /// </summary>
    public static JwtValidationResult Validate(string? token, JwtValidationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!TryDecodeUnverified(token, out var header, out var payload))
        {
            return JwtValidationResult.Fail("malformed");
        }

        return Validate(token!, header, payload, parameters);
    }

    /// <summary>
    /// The same checks for a token the caller already split with <see cref="TryDecodeUnverified"/> (to route on its
    /// header), so it is decoded once. <paramref name="header"/> and <paramref name="payload"/> must come from
    /// <paramref name="token"/>: the signature is checked over the token's own bytes, and the claims read from the payload.
    /// Internal for that reason (and because the length and shape checks are <see cref="TryDecodeUnverified"/>'s).
    /// </summary>
    internal static JwtValidationResult Validate(string token, JwtHeader header, JsonObject payload, JwtValidationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(parameters);
        // RFC 8725 §3.1: the algorithm is fixed by the verifier, never chosen by the token.
        if (!string.Equals(header.Algorithm, Algorithm, StringComparison.Ordinal))
        {
            return JwtValidationResult.Fail("unsupported_alg");
        }

        if (header.KeyId is null)
        {
            return JwtValidationResult.Fail("unknown_kid");
        }

        var key = parameters.ResolveKey(header.KeyId);
        if (key is null)
        {
            return JwtValidationResult.Fail("unknown_kid");
        }

        // A token verified before by this same key (the whole token, signature included, is what is remembered) is not
        // verified again; everything below — issuer, audience, expiry — is still checked on every use.
        var remembered = parameters.VerifiedSignatures?.WasVerified(token, key.KeyId) == true;
        if (!remembered && !VerifySignature(token, key))
        {
            return JwtValidationResult.Fail("bad_signature");
        }

        if (parameters.Issuer is not null && GetString(payload, "iss") != parameters.Issuer)
        {
            return JwtValidationResult.Fail("bad_issuer");
        }

        if (parameters.Audience is not null && !HasAudience(payload, parameters.Audience))
        {
            return JwtValidationResult.Fail("bad_audience");
        }

        var now = parameters.Now.ToUnixTimeSeconds();
        var skew = (long)parameters.ClockSkew.TotalSeconds;
        var exp = GetLong(payload, "exp");
        if (exp is null)
        {
            return JwtValidationResult.Fail("missing_exp");
        }

        if (now >= exp.Value + skew)
        {
            return JwtValidationResult.Fail("expired");
        }

        var nbf = GetLong(payload, "nbf");
        if (nbf is not null && now + skew < nbf.Value)
        {
            return JwtValidationResult.Fail("not_yet_valid");
        }

        if (!remembered)
        {
            var usableUntil = exp.Value + skew;
            parameters.VerifiedSignatures?.Remember(token, key.KeyId, usableUntil >= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
                ? DateTimeOffset.MaxValue
                : DateTimeOffset.FromUnixTimeSeconds(usableUntil));
        }

        return JwtValidationResult.Ok(header, payload);
    }

    private static bool VerifySignature(string token, EcSigningKey key)
    {
        var lastDot = token.LastIndexOf('.');
        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1));
        }
        catch (FormatException)
        {
            return false;
        }

        return signature.Length == 64
            && key.Key.VerifyData(Encoding.ASCII.GetBytes(token[..lastDot]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static bool HasAudience(JsonObject payload, string audience)
    {
        return payload["aud"] switch
        {
            JsonValue v => v.TryGetValue<string>(out var s) && s == audience,
            JsonArray a => a.Any(n => n is JsonValue v2 && v2.TryGetValue<string>(out var s2) && s2 == audience),
            _ => false,
        };
    }

    public static string? GetString(JsonObject obj, string name)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    public static long? GetLong(JsonObject obj, string name)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj[name] is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l2))
        {
            return l2;
        }

        return v.TryGetValue<double>(out var d) ? (long)d : null;
    }
}
