using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Latchkey.Client.Credentials.Keyring;

/// <summary>One entry in the Secret Service, addressed by the attributes `service` and `account`.</summary>
[SupportedOSPlatform("linux")]
internal sealed class SecretServiceKeyring : IOsKeyring
{
    // A generic schema that does not require the item's schema name to match on lookup, as other tools' entries do.
    private const string SchemaName = "org.freedesktop.Secret.Generic";
    private const int SchemaDontMatchName = 1 << 1;
    private const int SchemaSize = 592; // sizeof(SecretSchema) on 64-bit: name, flags, 32 attributes, reserved fields

    public string Name => "Secret Service";

    public string? Read(string service, string account)
        => WithSchemaAndAttributes(service, account, (schema, attributes) =>
        {
            var value = LibSecret.secret_password_lookupv_sync(schema, attributes, IntPtr.Zero, out var error);
            ThrowIfError(error, "read");
            if (value == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Marshal.PtrToStringUTF8(value);
            }
            finally
            {
                LibSecret.secret_password_free(value);
            }
        });

    public void Write(string service, string account, string label, string secret)
        => WithSchemaAndAttributes<object?>(service, account, (schema, attributes) =>
        {
            var password = Marshal.StringToCoTaskMemUTF8(secret);
            try
            {
                var ok = LibSecret.secret_password_storev_sync(schema, attributes, null, label, password, IntPtr.Zero, out var error);
                ThrowIfError(error, "write");
                if (!ok)
                {
                    throw Unavailable("write", "the Secret Service refused the item");
                }
            }
            finally
            {
                Marshal.ZeroFreeCoTaskMemUTF8(password);
            }

            return null;
        });

    public bool Delete(string service, string account)
        => WithSchemaAndAttributes(service, account, (schema, attributes) =>
        {
            var removed = LibSecret.secret_password_clearv_sync(schema, attributes, IntPtr.Zero, out var error);
            ThrowIfError(error, "delete");
            return removed;
        });

    private static T WithSchemaAndAttributes<T>(string service, string account, Func<IntPtr, IntPtr, T> body)
    {
        var allocations = new List<IntPtr>();
        IntPtr Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            allocations.Add(p);
            return p;
        }

        var schema = Marshal.AllocHGlobal(SchemaSize);
        var attributes = IntPtr.Zero;
        try
        {
            Marshal.Copy(new byte[SchemaSize], 0, schema, SchemaSize);

            Marshal.WriteIntPtr(schema, 0, Utf8(SchemaName));
            Marshal.WriteInt32(schema, 8, SchemaDontMatchName);
            Marshal.WriteIntPtr(schema, 16, Utf8("service")); // attributes[0] = { "service", SECRET_SCHEMA_ATTRIBUTE_STRING }
            Marshal.WriteIntPtr(schema, 32, Utf8("account")); // attributes[1]; a NULL name ends the list

            EnsureDefaultCollectionUnlocked();
            var glib = NativeLibrary.Load("libglib-2.0.so.0");
            attributes = LibSecret.g_hash_table_new(NativeLibrary.GetExport(glib, "g_str_hash"), NativeLibrary.GetExport(glib, "g_str_equal"));
            LibSecret.g_hash_table_insert(attributes, Utf8("service"), Utf8(service));
            LibSecret.g_hash_table_insert(attributes, Utf8("account"), Utf8(account));
            return body(schema, attributes);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new LatchkeyException(
                ErrorCodes.CredentialStoreUnavailable,
                "The OS keyring needs libsecret, which is not installed (Debian/Ubuntu: apt install libsecret-1-0). Or set cli_auth_credentials_store = \"file\".",
                ex);
        }
        finally
        {
            if (attributes != IntPtr.Zero)
            {
                LibSecret.g_hash_table_unref(attributes);
            }

            Marshal.FreeHGlobal(schema);
            allocations.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    /// <summary>
    /// A locked (or missing) default collection would make libsecret ask for a password through a prompter — on a
    /// headless machine that waits forever. Check first and fail with a message instead.
    /// </summary>
    private static void EnsureDefaultCollectionUnlocked()
    {
        var service = LibSecret.secret_service_get_sync(0, IntPtr.Zero, out var error);
        ThrowIfError(error, "reach");
        try
        {
            var collection = LibSecret.secret_collection_for_alias_sync(service, "default", 0, IntPtr.Zero, out error);
            ThrowIfError(error, "open");
            if (collection == IntPtr.Zero)
            {
                throw Unavailable("use", "there is no default keyring collection");
            }

            try
            {
                if (LibSecret.secret_collection_get_locked(collection))
                {
                    throw Unavailable("use", "the default keyring is locked; unlock it (e.g. log in to the desktop, or gnome-keyring-daemon --unlock)");
                }
            }
            finally
            {
                LibSecret.g_object_unref(collection);
            }
        }
        finally
        {
            LibSecret.g_object_unref(service);
        }
    }

    private static void ThrowIfError(IntPtr error, string operation)
    {
        if (error == IntPtr.Zero)
        {
            return;
        }

        // GError { GQuark domain; gint code; gchar *message; }
        var message = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error, 8)) ?? "unknown error";
        LibSecret.g_error_free(error);
        throw Unavailable(operation, message);
    }

    private static LatchkeyException Unavailable(string operation, string reason)
        => new(
            ErrorCodes.CredentialStoreUnavailable,
            $"Could not {operation} the OS keyring ({reason.TrimEnd('.')}). Start or unlock a Secret Service (e.g. gnome-keyring) in this session, or set cli_auth_credentials_store = \"file\".");
}
