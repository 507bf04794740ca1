using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// A WebAuthn authenticator in software (ES256, attestation "none", a discoverable credential with user verification),
/// so the server's ceremony rules can be tested byte for byte: the origin, challenge, counter and signature it sends
/// can each be made wrong on purpose. Real browsers and Chromium's virtual authenticator are in the end-to-end tests.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(16);

    public string CredentialIdBase64Url => WebEncoders.Base64UrlEncode(CredentialId);

    /// <summary>The user handle the relying party gave at registration (returned with every assertion).</summary>
    public byte[]? UserHandle { get; private set; }

    /// <summary>The signature counter the next response carries.</summary>
    public uint SignCount { get; set; }

    /// <summary>The response to <c>navigator.credentials.create</c> for these options, as the browser's toJSON() gives it.</summary>
    public string Register(string optionsJson, string origin = "http://localhost", string? challengeOverride = null)
    {
        var options = JsonNode.Parse(optionsJson)!;
        var rpId = (string)options["rp"]!["id"]!;
        UserHandle = WebEncoders.Base64UrlDecode((string)options["user"]!["id"]!);
        var clientData = ClientData("webauthn.create", challengeOverride ?? (string)options["challenge"]!, origin);

        var credentialData = new List<byte>();
        credentialData.AddRange(new byte[16]); // AAGUID: none
        credentialData.Add((byte)(CredentialId.Length >> 8));
        credentialData.Add((byte)CredentialId.Length);
        credentialData.AddRange(CredentialId);
        credentialData.AddRange(CosePublicKey());
        // Flags: user present, user verified, attested credential data included.
        var authData = AuthenticatorData(rpId, 0x01 | 0x04 | 0x40, credentialData.ToArray());

        var cbor = new CborWriter();
        cbor.WriteStartMap(3);
        cbor.WriteTextString("fmt");
        cbor.WriteTextString("none");
        cbor.WriteTextString("attStmt");
        cbor.WriteStartMap(0);
        cbor.WriteEndMap();
        cbor.WriteTextString("authData");
        cbor.WriteByteString(authData);
        cbor.WriteEndMap();

        return new JsonObject
        {
            ["id"] = CredentialIdBase64Url,
            ["rawId"] = CredentialIdBase64Url,
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebEncoders.Base64UrlEncode(clientData),
                ["attestationObject"] = WebEncoders.Base64UrlEncode(cbor.Encode()),
                ["transports"] = new JsonArray("internal"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        }.ToJsonString();
    }

    /// <summary>The response to <c>navigator.credentials.get</c>, signed with this credential's key.</summary>
    public string Assert(string optionsJson, string origin = "http://localhost", string? challengeOverride = null, byte[]? userHandleOverride = null)
    {
        var options = JsonNode.Parse(optionsJson)!;
        var rpId = (string)options["rpId"]!;
        var clientData = ClientData("webauthn.get", challengeOverride ?? (string)options["challenge"]!, origin);
        var authData = AuthenticatorData(rpId, 0x01 | 0x04, []);
        var signed = authData.Concat(SHA256.HashData(clientData)).ToArray();
        var signature = key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = CredentialIdBase64Url,
            ["rawId"] = CredentialIdBase64Url,
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebEncoders.Base64UrlEncode(clientData),
                ["authenticatorData"] = WebEncoders.Base64UrlEncode(authData),
                ["signature"] = WebEncoders.Base64UrlEncode(signature),
                ["userHandle"] = WebEncoders.Base64UrlEncode(userHandleOverride ?? UserHandle!),
            },
            ["clientExtensionResults"] = new JsonObject(),
        }.ToJsonString();
    }

    public void Dispose() => key.Dispose();

    private static byte[] ClientData(string type, string challenge, string origin)
        => Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false }.ToJsonString());

    private byte[] AuthenticatorData(string rpId, byte flags, byte[] attestedCredentialData)
    {
        var data = new List<byte>(SHA256.HashData(Encoding.UTF8.GetBytes(rpId))) { flags };
        data.AddRange([(byte)(SignCount >> 24), (byte)(SignCount >> 16), (byte)(SignCount >> 8), (byte)SignCount]);
        data.AddRange(attestedCredentialData);
        return [.. data];
    }

    /// <summary>The public key as a COSE_Key (RFC 9053 §7.1.1): EC2, ES256, P-256.</summary>
    private byte[] CosePublicKey()
    {
        var p = key.ExportParameters(false);
        var cbor = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cbor.WriteStartMap(5);
        cbor.WriteInt32(1);
        cbor.WriteInt32(2);
        cbor.WriteInt32(3);
        cbor.WriteInt32(-7);
        cbor.WriteInt32(-1);
        cbor.WriteInt32(1);
        cbor.WriteInt32(-2);
        cbor.WriteByteString(p.Q.X!);
        cbor.WriteInt32(-3);
        cbor.WriteByteString(p.Q.Y!);
        cbor.WriteEndMap();
        return cbor.Encode();
    }
}
