using System.Text.Json.Serialization;
using Latchkey.Client.OAuth;

namespace Latchkey.Client.Credentials;

/// <summary>Source-generated JSON (no reflection), so the CLI stays NativeAOT-clean.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, AllowTrailingCommas = false, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(AuthDotJson))]
[JsonSerializable(typeof(ServerMetadata))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(DeviceAuthorizationResponse))]
[JsonSerializable(typeof(OAuthErrorBody))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
