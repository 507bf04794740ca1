using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace Latchkey.Client.Credentials.Keyring;

/// <summary>Windows Credential Manager (generic credentials, target "service:account"), via advapi32.</summary>
[SupportedOSPlatform("windows")]
internal sealed partial class WindowsCredentialManager : IOsKeyring
{
    private const int CredTypeGeneric = 1;
    private const int CredPersistLocalMachine = 2;
    private const int ErrorNotFound = 1168;

    public string Name => "Windows Credential Manager";

    public string? Read(string service, string account)
    {
        if (!CredReadW(Target(service, account), CredTypeGeneric, 0, out var credential))
        {
            var error = Marshal.GetLastPInvokeError();
            return error == ErrorNotFound ? null : throw Failed("read", error);
        }

        try
        {
            var size = Marshal.ReadInt32(credential, 32); // CREDENTIALW.CredentialBlobSize
            var blob = Marshal.ReadIntPtr(credential, 40); // CREDENTIALW.CredentialBlob
            var bytes = new byte[size];
            Marshal.Copy(blob, bytes, 0, size);
            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            CredFree(credential);
        }
    }

    public void Write(string service, string account, string label, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        var blob = Marshal.AllocHGlobal(bytes.Length);
        var target = Marshal.StringToHGlobalUni(Target(service, account));
        var comment = Marshal.StringToHGlobalUni(label);
        var user = Marshal.StringToHGlobalUni(account);
        var credential = Marshal.AllocHGlobal(80); // sizeof(CREDENTIALW) on 64-bit
        try
        {
            Marshal.Copy(bytes, 0, blob, bytes.Length);
            for (var i = 0; i < 80; i += 8)
            {
                Marshal.WriteInt64(credential, i, 0);
            }

            Marshal.WriteInt32(credential, 4, CredTypeGeneric);
            Marshal.WriteIntPtr(credential, 8, target);
            Marshal.WriteIntPtr(credential, 16, comment);
            Marshal.WriteInt32(credential, 32, bytes.Length);
            Marshal.WriteIntPtr(credential, 40, blob);
            Marshal.WriteInt32(credential, 48, CredPersistLocalMachine);
            Marshal.WriteIntPtr(credential, 72, user);
            if (!CredWriteW(credential, 0))
            {
                throw Failed("write", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            Marshal.FreeHGlobal(credential);
            Marshal.FreeHGlobal(user);
            Marshal.FreeHGlobal(comment);
            Marshal.FreeHGlobal(target);
            Marshal.FreeHGlobal(blob);
        }
    }

    public bool Delete(string service, string account)
    {
        if (CredDeleteW(Target(service, account), CredTypeGeneric, 0))
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error == ErrorNotFound ? false : throw Failed("delete", error);
    }

    private static string Target(string service, string account) => service + ":" + account;

    private static LatchkeyException Failed(string operation, int error)
        => new(ErrorCodes.CredentialStoreUnavailable, $"Could not {operation} Windows Credential Manager (error {error}). Or set cli_auth_credentials_store = \"file\".");

    [LibraryImport("advapi32.dll", EntryPoint = "CredReadW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CredReadW(string target, int type, int flags, out IntPtr credential);

    [LibraryImport("advapi32.dll", EntryPoint = "CredWriteW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CredWriteW(IntPtr credential, int flags);

    [LibraryImport("advapi32.dll", EntryPoint = "CredDeleteW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CredDeleteW(string target, int type, int flags);

    [LibraryImport("advapi32.dll", EntryPoint = "CredFree")]
    private static partial void CredFree(IntPtr buffer);
}
