using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;

namespace Latchkey.Protocol.Tests;

public sealed class JwtCodecTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static JsonObject Payload(long exp, long? nbf = null)
    {
        var p = new JsonObject { ["iss"] = "https://issuer.example", ["aud"] = "client", ["sub"] = "u1", ["exp"] = exp };
        if (nbf is not null)
        {
            p["nbf"] = nbf;
        }

        return p;
    }

    private static JwtValidationParameters Params(EcSigningKey key, DateTimeOffset? now = null) => new()
    {
        ResolveKey = kid => kid == key.KeyId ? key : null,
        Now = now ?? Now,
        Issuer = "https://issuer.example",
        Audience = "client",
    };

    [Fact]
    public void Validate_SignedToken_ReturnsPayload()
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), key);

        var result = JwtCodec.Validate(token, Params(key));

        Assert.True(result.IsValid, result.Error);
        Assert.Equal("u1", (string?)result.Payload!["sub"]);
        Assert.Equal("ES256", result.Header!.Algorithm);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("at+jwt")]
    public void Sign_WritesTheHeaderAndClaimsAsTheirJsonText_Rfc7515Section7_1(string type)
    {
        using var key = EcSigningKey.Generate();
        var payload = Payload(Now.ToUnixTimeSeconds() + 600);
        payload["name"] = "Zoë \"<admin>\"";

        // Twice with one key: the second reuses the header encoded for the first.
        foreach (var token in new[] { JwtCodec.Sign(payload, key, type), JwtCodec.Sign(payload, key, type) })
        {
            var parts = token.Split('.');
            Assert.Equal(3, parts.Length);
            Assert.Equal(new JsonObject { ["alg"] = "ES256", ["kid"] = key.KeyId, ["typ"] = type }.ToJsonString(), Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])));
            Assert.Equal(payload.ToJsonString(), Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])));
            Assert.Equal(64, Base64Url.DecodeFromChars(parts[2]).Length); // r || s (RFC 7518 §3.4), not DER
            Assert.True(JwtCodec.Validate(token, Params(key)).IsValid);
        }
    }

    [Fact]
    public void Validate_AlgNone_IsRejected_Rfc8725Section3_1()
    {
        using var key = EcSigningKey.Generate();
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{{\"alg\":\"none\",\"kid\":\"{key.KeyId}\"}}"));
        var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Payload(Now.ToUnixTimeSeconds() + 600).ToJsonString()));

        var result = JwtCodec.Validate($"{header}.{body}.", Params(key));

        Assert.False(result.IsValid);
        Assert.Equal("unsupported_alg", result.Error);
    }

    [Fact]
    public void Validate_HeaderClaimsHs256_IsRejectedEvenWithValidEsSignature()
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), key);
        var parts = token.Split('.');
        parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{{\"alg\":\"HS256\",\"kid\":\"{key.KeyId}\"}}"));

        Assert.Equal("unsupported_alg", JwtCodec.Validate(string.Join('.', parts), Params(key)).Error);
    }

    [Fact]
    public void Validate_TamperedPayload_FailsSignature()
    {
        using var key = EcSigningKey.Generate();
        var parts = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), key).Split('.');
        var tampered = Payload(Now.ToUnixTimeSeconds() + 600);
        tampered["sub"] = "admin";
        parts[1] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(tampered.ToJsonString()));

        Assert.Equal("bad_signature", JwtCodec.Validate(string.Join('.', parts), Params(key)).Error);
    }

    [Fact]
    public void Validate_UnknownKid_IsRejected()
    {
        using var signer = EcSigningKey.Generate();
        using var other = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), signer);

        Assert.Equal("unknown_kid", JwtCodec.Validate(token, Params(other)).Error);
    }

    [Fact]
    public void Validate_KeyWithSameKidButDifferentKey_FailsSignature()
    {
        using var signer = EcSigningKey.Generate();
        using var impostor = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), signer);
        var p = Params(impostor) with { ResolveKey = _ => impostor };

        Assert.Equal("bad_signature", JwtCodec.Validate(token, p).Error);
    }

    [Theory]
    [InlineData(-61, false)] // exp 61 s ago: beyond the 60 s skew
    [InlineData(-60, false)] // exactly at exp + skew: expired
    [InlineData(-59, true)]  // one second inside the skew
    public void Validate_Expiry_HonoursSixtySecondSkew(int expOffsetSeconds, bool valid)
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + expOffsetSeconds), key);

        var result = JwtCodec.Validate(token, Params(key));

        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Equal("expired", result.Error);
        }
    }

    [Theory]
    [InlineData(61, false)]
    [InlineData(60, true)]
    public void Validate_NotBefore_HonoursSkew(int nbfOffsetSeconds, bool valid)
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600, Now.ToUnixTimeSeconds() + nbfOffsetSeconds), key);

        Assert.Equal(valid, JwtCodec.Validate(token, Params(key)).IsValid);
    }

    [Fact]
    public void Validate_WrongIssuerOrAudience_IsRejected()
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), key);

        Assert.Equal("bad_issuer", JwtCodec.Validate(token, Params(key) with { Issuer = "https://evil.example" }).Error);
        Assert.Equal("bad_audience", JwtCodec.Validate(token, Params(key) with { Audience = "other" }).Error);
    }

    [Fact]
    public void Validate_MissingExp_IsRejected()
    {
        using var key = EcSigningKey.Generate();
        var token = JwtCodec.Sign(new JsonObject { ["iss"] = "https://issuer.example", ["aud"] = "client" }, key);

        Assert.Equal("missing_exp", JwtCodec.Validate(token, Params(key)).Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!!.???.###")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAAA")]
    public void Validate_Garbage_IsMalformedNotAnException(string token)
    {
        using var key = EcSigningKey.Generate();
        Assert.Equal("malformed", JwtCodec.Validate(token, Params(key)).Error);
    }

    [Fact]
    public void FromJwk_RoundTripsPublicKey()
    {
        using var key = EcSigningKey.Generate();
        using var publicOnly = EcSigningKey.FromJwk(key.ToPublicJwk());
        var token = JwtCodec.Sign(Payload(Now.ToUnixTimeSeconds() + 600), key);

        Assert.Equal(key.KeyId, publicOnly.KeyId);
        Assert.False(publicOnly.HasPrivateKey);
        Assert.True(JwtCodec.Validate(token, Params(publicOnly)).IsValid);
        Assert.Null(key.ToPublicJwk()["d"]);
    }

    /// <summary>Signs raw header and payload text with a real key, so only the text itself can make it fail.</summary>
    private static string SignRaw(string headerJson, string payloadJson, EcSigningKey key)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        var signature = key.Key.SignData(Encoding.ASCII.GetBytes(input), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    // RFC 7515 §4 (and RFC 7519 §4): a JOSE header or claims set with duplicate member names is rejected, even when
    // the signature is good; RFC 8259 §8.2: strings must be valid Unicode. Each of these once threw instead of failing.
    [Theory]
    [InlineData("{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"KID\"}", null)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"kid\":\"other\"}", null)]
    [InlineData(null, "{\"iss\":\"https://issuer.example\",\"aud\":\"client\",\"sub\":\"u1\",\"sub\":\"admin\",\"exp\":1800000600}")]
    [InlineData(null, "{\"iss\":\"https://issuer.example\",\"aud\":\"client\",\"sub\":\"\\ud800\",\"exp\":1800000600}")]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"x\":\"\\udc00\"}", null)]
    public void Validate_RepeatedMemberOrInvalidUnicode_IsMalformed_Rfc7515Section4(string? header, string? payload)
    {
        using var key = EcSigningKey.Generate();
        header = (header ?? "{\"alg\":\"ES256\",\"kid\":\"KID\"}").Replace("KID", key.KeyId, StringComparison.Ordinal);
        payload ??= "{\"iss\":\"https://issuer.example\",\"aud\":\"client\",\"sub\":\"u1\",\"exp\":1800000600}";
        var token = SignRaw(header, payload, key);

        var result = JwtCodec.Validate(token, Params(key));

        Assert.False(result.IsValid);
        Assert.Equal("malformed", result.Error);
        Assert.False(JwtCodec.TryDecodeUnverified(token, out _, out _));
    }

    [Fact]
    public void Validate_RawSignedWellFormedToken_IsValid()
    {
        using var key = EcSigningKey.Generate();
        var token = SignRaw($"{{\"alg\":\"ES256\",\"kid\":\"{key.KeyId}\"}}", "{\"iss\":\"https://issuer.example\",\"aud\":\"client\",\"sub\":\"u\\u00e9\",\"exp\":1800000600}", key);

        var result = JwtCodec.Validate(token, Params(key));

        Assert.True(result.IsValid, result.Error);
        Assert.Equal("u\u00e9", (string?)result.Payload!["sub"]);
    }
}

public sealed class JwtVerifiedSignaturesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    /// <summary>Remembers exact tokens, as the server's cache does (by digest there).</summary>
    private sealed class Remembered : IVerifiedSignatures
    {
        public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

        public bool WasVerified(string token, string keyId) => Tokens.TryGetValue(token, out var kid) && kid == keyId;

        public void Remember(string token, string keyId, DateTimeOffset expiresAt) => Tokens[token] = keyId;
    }

    private static JwtValidationParameters Params(EcSigningKey? key, IVerifiedSignatures remembered, DateTimeOffset? now = null, string issuer = "https://issuer.example") => new()
    {
        ResolveKey = kid => kid == key?.KeyId ? key : null,
        Now = now ?? Now,
        Issuer = issuer,
        Audience = "client",
        VerifiedSignatures = remembered,
    };

    private static string Token(EcSigningKey key, long expOffset = 600)
        => JwtCodec.Sign(new JsonObject { ["iss"] = "https://issuer.example", ["aud"] = "client", ["sub"] = "u1", ["exp"] = Now.ToUnixTimeSeconds() + expOffset }, key);

    [Fact]
    public void A_valid_token_is_remembered_once_it_passed_every_check()
    {
        using var key = EcSigningKey.Generate();
        var remembered = new Remembered();
        var token = Token(key);

        Assert.True(JwtCodec.Validate(token, Params(key, remembered)).IsValid);
        Assert.Equal(key.KeyId, remembered.Tokens[token]);
        Assert.True(JwtCodec.Validate(token, Params(key, remembered)).IsValid);
    }

    [Fact]
    public void A_token_that_fails_any_check_is_not_remembered()
    {
        using var key = EcSigningKey.Generate();
        var remembered = new Remembered();

        Assert.False(JwtCodec.Validate(Token(key), Params(key, remembered, issuer: "https://other.example")).IsValid);
        Assert.False(JwtCodec.Validate(Token(key, expOffset: -600), Params(key, remembered)).IsValid);
        Assert.Empty(remembered.Tokens);
    }

    [Fact]
    public void A_remembered_token_is_still_refused_once_expired_unknown_key_or_wrong_issuer_RFC7519_Section7_2()
    {
        using var key = EcSigningKey.Generate();
        var remembered = new Remembered();
        var token = Token(key);
        Assert.True(JwtCodec.Validate(token, Params(key, remembered)).IsValid);

        // Every claim check runs on every use; only the signature is taken as read.
        Assert.Equal("expired", JwtCodec.Validate(token, Params(key, remembered, now: Now.AddHours(1))).Error);
        Assert.Equal("unknown_kid", JwtCodec.Validate(token, Params(null, remembered)).Error);
        Assert.Equal("bad_issuer", JwtCodec.Validate(token, Params(key, remembered, issuer: "https://other.example")).Error);
    }

    [Fact]
    public void A_token_differing_from_a_remembered_one_only_in_its_signature_is_verified_and_refused_RFC7515_Section5_2()
    {
        using var key = EcSigningKey.Generate();
        var remembered = new Remembered();
        var token = Token(key);
        Assert.True(JwtCodec.Validate(token, Params(key, remembered)).IsValid);

        var dot = token.LastIndexOf('.');
        var forged = token[..(dot + 1)] + (token[dot + 1] == 'A' ? 'B' : 'A') + token[(dot + 2)..];

        Assert.Equal("bad_signature", JwtCodec.Validate(forged, Params(key, remembered)).Error);
    }
}
