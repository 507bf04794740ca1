using System.Text.Json.Nodes;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.OAuth;

public sealed record ValidatedAccessToken(JsonObject Claims, GrantRow Grant);
