using System.Text.Json.Serialization;

namespace Latchkey.Client.OAuth;

[JsonSerializable(typeof(string))]
internal sealed partial class StringContext : JsonSerializerContext;
