using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Latchkey.Client.OAuth;

/// <summary>
/// `latchkey/1.0.0 Latchkey.Client/1.0.0 (Linux; X64)`: the program (the CLI is `latchkey`, an app its own assembly
/// name), the library and the platform, so the server's Security page can say "Latchkey CLI on Linux" and a person can
/// tell two sign-ins apart. No host name or user name: the server needs no more than this to label a sign-in.
/// </summary>
internal static class ClientUserAgent
{
    private static readonly Lazy<ProductInfoHeaderValue[]> Values = new(Create);

    /// <summary>Adds the values to a client that has no User-Agent of its own (an app's own choice wins).</summary>
    public static void ApplyTo(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.DefaultRequestHeaders.UserAgent.Count > 0)
        {
            return;
        }

        foreach (var value in Values.Value)
        {
            http.DefaultRequestHeaders.UserAgent.Add(value);
        }
    }

    private static ProductInfoHeaderValue[] Create()
    {
        var library = typeof(ClientUserAgent).Assembly;
        var entry = Assembly.GetEntryAssembly();
        var values = new List<ProductInfoHeaderValue>();
        if (entry is not null && entry != library && Product(entry) is { } app)
        {
            values.Add(app);
        }

        values.Add(Product(library)!);
        values.Add(new ProductInfoHeaderValue($"({Platform()}; {RuntimeInformation.OSArchitecture})"));
        return [.. values];
    }

    private static ProductInfoHeaderValue? Product(Assembly assembly)
    {
        var name = assembly.GetName().Name;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString(3) ?? "0";
        try
        {
            return name is null ? null : new ProductInfoHeaderValue(name, version);
        }
        catch (FormatException)
        {
            return null; // a name that is not an HTTP token (testhost variants, odd assembly names): leave it out
        }
    }

    private static string Platform()
        => OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsWindows() ? "Windows" : RuntimeInformation.OSDescription.Split(' ')[0];
}
