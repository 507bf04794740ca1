namespace Latchkey.Client.Login;

internal interface IBrowserLauncher
{
    /// <summary>Tries to open the URL; false when there is no browser to open (headless, SSH) or it failed.</summary>
    bool TryOpen(string url);
}
