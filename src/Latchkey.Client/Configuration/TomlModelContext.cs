using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Latchkey.Client.Configuration;

/// <summary>Source-generated Tomlyn metadata for the untyped model, so reading config stays NativeAOT-clean (no reflection).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlModelContext : TomlSerializerContext
{
}
