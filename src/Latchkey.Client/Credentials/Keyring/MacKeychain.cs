using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace Latchkey.Client.Credentials.Keyring;

/// <summary>The macOS login Keychain (generic passwords), via the Security framework.</summary>
[SupportedOSPlatform("macos")]
internal sealed partial class MacKeychain : IOsKeyring
{
    private const string Security = "/System/Library/Frameworks/Security.framework/Security";
    private const int ErrSecItemNotFound = -25300;
    private const int ErrSecDuplicateItem = -25299;

    public string Name => "macOS Keychain";

    public string? Read(string service, string account)
    {
        var s = Encoding.UTF8.GetBytes(service);
        var a = Encoding.UTF8.GetBytes(account);
        var status = SecKeychainFindGenericPassword(IntPtr.Zero, (uint)s.Length, s, (uint)a.Length, a, out var length, out var data, out var item);
        if (status == ErrSecItemNotFound)
        {
            return null;
        }

        Check(status, "read");
        try
        {
            var bytes = new byte[length];
            Marshal.Copy(data, bytes, 0, (int)length);
            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            _ = SecKeychainItemFreeContent(IntPtr.Zero, data); // freeing cannot usefully fail
            CFRelease(item);
        }
    }

    public void Write(string service, string account, string label, string secret)
    {
        Delete(service, account);
        var s = Encoding.UTF8.GetBytes(service);
        var a = Encoding.UTF8.GetBytes(account);
        var p = Encoding.UTF8.GetBytes(secret);
        var status = SecKeychainAddGenericPassword(IntPtr.Zero, (uint)s.Length, s, (uint)a.Length, a, (uint)p.Length, p, IntPtr.Zero);
        Check(status == ErrSecDuplicateItem ? 0 : status, "write");
    }

    public bool Delete(string service, string account)
    {
        var s = Encoding.UTF8.GetBytes(service);
        var a = Encoding.UTF8.GetBytes(account);
        var status = SecKeychainFindGenericPassword(IntPtr.Zero, (uint)s.Length, s, (uint)a.Length, a, out _, out _, out var item);
        if (status == ErrSecItemNotFound)
        {
            return false;
        }

        Check(status, "delete");
        try
        {
            Check(SecKeychainItemDelete(item), "delete");
            return true;
        }
        finally
        {
            CFRelease(item);
        }
    }

    private static void Check(int status, string operation)
    {
        if (status != 0)
        {
            throw new LatchkeyException(ErrorCodes.CredentialStoreUnavailable, $"Could not {operation} the macOS Keychain (OSStatus {status}). Or set cli_auth_credentials_store = \"file\".");
        }
    }

    [LibraryImport(Security)]
    private static partial int SecKeychainFindGenericPassword(IntPtr keychain, uint serviceLength, byte[] service, uint accountLength, byte[] account, out uint passwordLength, out IntPtr passwordData, out IntPtr item);

    [LibraryImport(Security)]
    private static partial int SecKeychainAddGenericPassword(IntPtr keychain, uint serviceLength, byte[] service, uint accountLength, byte[] account, uint passwordLength, byte[] password, IntPtr item);

    [LibraryImport(Security)]
    private static partial int SecKeychainItemDelete(IntPtr item);

    [LibraryImport(Security)]
    private static partial int SecKeychainItemFreeContent(IntPtr attributes, IntPtr data);

    [LibraryImport("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")]
    private static partial void CFRelease(IntPtr value);
}
