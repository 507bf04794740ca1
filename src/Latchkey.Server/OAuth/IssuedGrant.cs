using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.OAuth;

/// <summary>A grant just stored, with the secret of its first refresh token (only its digest is stored).</summary>
public sealed record IssuedGrant(GrantRow Grant, string RefreshToken);
