namespace Latchkey.Client.Login;

/// <summary>What a sign-in flow tells the person at the keyboard. The CLI prints; an IDE could show a dialog.</summary>
internal interface ILoginUi
{
    /// <summary>The browser was opened at <paramref name="url"/>, or (when <paramref name="opened"/> is false) could not be.</summary>
    void ShowAuthorizeUrl(string url, bool opened);

    void ShowDeviceCode(string verificationUri, string userCode, string? verificationUriComplete, TimeSpan expiresIn);

    /// <summary>Called while waiting for the device approval.</summary>
    void ShowWaiting(TimeSpan elapsed);

    void ShowNotice(string message);
}
