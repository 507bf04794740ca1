namespace Latchkey.Client.Configuration;

/// <summary>Where a setting came from, lowest precedence first. Managed config, installed by an administrator, wins.</summary>
internal enum ConfigLayer
{
    Default,
    User,
    CommandLine,
    Managed,
}
