using Latchkey.Client.Login;
using QRCoder;

namespace Latchkey.Cli.Commands;

/// <summary>Prints sign-in prompts to stderr, so stdout stays clean for scripts.</summary>
internal sealed class ConsoleLoginUi(CliConsole console) : ILoginUi
{
    private int lastDots;

    public void ShowAuthorizeUrl(string url, bool opened)
    {
        if (opened)
        {
            console.Error.WriteLine("Opened your browser to sign in. If it did not open, visit:");
        }
        else
        {
            console.Error.WriteLine("Open this link in a browser to sign in:");
        }

        console.Error.WriteLine();
        console.Error.WriteLine("  " + url);
        console.Error.WriteLine();
        if (!opened)
        {
            console.Error.WriteLine("No browser here? On a remote or headless machine, `latchkey login --device-auth` is easier.");
        }

        console.Error.WriteLine("Waiting for the sign-in to finish... (Ctrl+C to cancel)");
    }

    public void ShowDeviceCode(string verificationUri, string userCode, string? verificationUriComplete, TimeSpan expiresIn)
    {
        console.Error.WriteLine($"To sign in, open {verificationUri} on any device and enter the code below.");
        if (verificationUriComplete is not null)
        {
            // The QR goes first and the code last, so on a small terminal the code is what stays on screen.
            if (console.ErrorIsTerminal)
            {
                console.Error.WriteLine("Or scan this QR code, which opens the page with the code filled in:");
                console.Error.Write(RenderQr(verificationUriComplete));
            }

            console.Error.WriteLine("Link with the code filled in: " + verificationUriComplete);
        }

        console.Error.WriteLine();
        console.Error.WriteLine("    " + userCode);
        console.Error.WriteLine();
        // Device-code phishing: an attacker starts a sign-in and talks someone else into approving it.
        console.Error.WriteLine("Only enter this code if you started this sign-in yourself. If someone sent you the code or asked you to run this, press Ctrl+C.");
        console.Error.WriteLine($"The code expires in {expiresIn.TotalMinutes:0} minutes. Waiting for approval (Ctrl+C to cancel)");
    }

    public void ShowWaiting(TimeSpan elapsed)
    {
        var dots = (int)elapsed.TotalSeconds / 5;
        if (dots != lastDots && console.ErrorIsTerminal)
        {
            lastDots = dots;
            console.Error.Write('.');
            console.ErrorMidLine = true;
        }
    }

    public void ShowNotice(string message)
    {
        console.EndErrorLine();
        console.Error.WriteLine(message);
    }

    /// <summary>Two modules per character with half blocks, with a quiet zone, readable by phone cameras.</summary>
    internal static string RenderQr(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.L);
        var m = data.ModuleMatrix;
        var size = m.Count;
        var sb = new System.Text.StringBuilder();
        for (var y = 0; y < size; y += 2)
        {
            for (var x = 0; x < size; x++)
            {
                var top = m[y][x];
                var bottom = y + 1 < size && m[y + 1][x];
                // Dark modules print as spaces on a light background: works on dark and light terminals alike.
                sb.Append((top, bottom) switch { (true, true) => ' ', (true, false) => '▄', (false, true) => '▀', _ => '█' });
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
