namespace Latchkey.Client.Configuration;

/// <summary>How a table came to exist: TOML's redefinition rules (spec §Table, §Inline Table) depend on it.</summary>
internal enum TomlTableKind
{
    /// <summary>Created as a parent of a [header]; may still be defined by its own header once.</summary>
    Implicit,

    /// <summary>Defined by its own [header]: a second header is an error.</summary>
    Header,

    /// <summary>Created by a dotted key: cannot be (re)defined by a header, but headers may add sub-tables.</summary>
    DottedKey,

    /// <summary>An inline table or anything inside one: complete as written, never extended.</summary>
    Inline,

    /// <summary>An element of an array of tables ([[header]]).</summary>
    ArrayElement,
}
