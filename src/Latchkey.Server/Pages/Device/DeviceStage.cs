namespace Latchkey.Server.Pages.Device;

public enum DeviceStage
{
    Enter,
    Confirm,
    Approved,
    Denied,
    Disabled,

    /// <summary>A policy (the user's own or the workspace's) forbids this approval.</summary>
    Refused,
}
