using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Buffers.Text;

namespace Latchkey.Protocol.Jwt;

/// <summary>
/// A P-256 key with its key id. The private part is present only on the issuer side.
/// </summary>
public sealed class EcSigningKey : IDisposable
{
    private EcSigningKey(string keyId, ECDsa key, bool hasPrivateKey)
    {
        KeyId = keyId;
        Key = key;
        HasPrivateKey = hasPrivateKey;
    }

    public string KeyId { get; }

    public ECDsa Key { get; }

    public bool HasPrivateKey { get; }

    /// <summary>Encoded protected headers by "typ" (an issuer signs with two: JWT and at+jwt).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> headers = new(StringComparer.Ordinal);

    internal byte[] EncodedHeader(string type) => headers.GetOrAdd(type, static (t, kid) => JwtCodec.EncodeHeader(kid, t), KeyId);

    public static EcSigningKey Generate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new EcSigningKey(ComputeThumbprint(key), key, hasPrivateKey: true);
    }

    /// <summary>Loads a key from PKCS#8 (private) bytes.</summary>
    public static EcSigningKey FromPkcs8(string keyId, ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return new EcSigningKey(keyId, key, hasPrivateKey: true);
    }

    /// <summary>Loads a verification-only key from SubjectPublicKeyInfo bytes.</summary>
    public static EcSigningKey FromSubjectPublicKeyInfo(string keyId, ReadOnlySpan<byte> spki)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        return new EcSigningKey(keyId, key, hasPrivateKey: false);
    }

    /// <summary>Loads a verification-only key from a JWK (kty EC, crv P-256).</summary>
    public static EcSigningKey FromJwk(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if ((string?)jwk["kty"] != "EC" || (string?)jwk["crv"] != "P-256")
        {
            throw new ArgumentException("Only EC P-256 keys are supported.", nameof(jwk));
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars((string?)jwk["x"] ?? throw new ArgumentException("x missing", nameof(jwk))),
                Y = Base64Url.DecodeFromChars((string?)jwk["y"] ?? throw new ArgumentException("y missing", nameof(jwk))),
            },
        };
        var key = ECDsa.Create(parameters);
        return new EcSigningKey((string?)jwk["kid"] ?? ComputeThumbprint(key), key, hasPrivateKey: false);
    }

    public byte[] ExportPkcs8() => Key.ExportPkcs8PrivateKey();

    public byte[] ExportSubjectPublicKeyInfo() => Key.ExportSubjectPublicKeyInfo();

    /// <summary>The public JWK as published in JWKS (RFC 7517 §4, RFC 7518 §6.2).</summary>
    public JsonObject ToPublicJwk()
    {
        var p = Key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(p.Q.X),
            ["y"] = Base64Url.EncodeToString(p.Q.Y),
            ["kid"] = KeyId,
            ["use"] = "sig",
            ["alg"] = "ES256",
        };
    }

    /// <summary>RFC 7638 JWK thumbprint: a stable, content-derived key id.</summary>
    private static string ComputeThumbprint(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(p.Q.X)}\",\"y\":\"{Base64Url.EncodeToString(p.Q.Y)}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }

    public void Dispose() => Key.Dispose();
}
