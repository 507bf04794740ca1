namespace Latchkey.Server.Gateway;

public enum JsonModelScannerState
{
    /// <summary>So far one JSON object with at most one top-level `model`.</summary>
    Scanning,

    /// <summary>The body does not start with `{`: not a JSON object, no model can be read from it.</summary>
    NotJson,

    /// <summary>Two top-level `model` keys, a model that is not a short string, or a broken structure: refused.</summary>
    Ambiguous,
}
