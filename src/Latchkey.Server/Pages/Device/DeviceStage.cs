namespace Latchkey.Server.Pages.Device;

public enum DeviceStage
{
    Enter,
    Confirm,
    Approved,
    Denied,
    Disabled,
}
