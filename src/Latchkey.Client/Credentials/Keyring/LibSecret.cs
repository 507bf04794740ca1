using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Latchkey.Client.Credentials.Keyring;

/// <summary>
/// libsecret (the Secret Service client behind GNOME Keyring and KWallet). The non-variadic `*v_sync` entry points
/// take a GHashTable of attributes, so no C varargs cross the boundary; `LibraryImport` keeps this NativeAOT-clean.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class LibSecret
{
    private const string Secret = "libsecret-1.so.0";
    private const string Glib = "libglib-2.0.so.0";

    [LibraryImport(Glib)]
    internal static partial IntPtr g_hash_table_new(IntPtr hashFunc, IntPtr equalFunc);

    [LibraryImport(Glib)]
    internal static partial void g_hash_table_insert(IntPtr table, IntPtr key, IntPtr value);

    [LibraryImport(Glib)]
    internal static partial void g_hash_table_unref(IntPtr table);

    [LibraryImport(Glib)]
    internal static partial void g_error_free(IntPtr error);

    [LibraryImport(Secret, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool secret_password_storev_sync(IntPtr schema, IntPtr attributes, string? collection, string label, IntPtr password, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Secret)]
    internal static partial IntPtr secret_password_lookupv_sync(IntPtr schema, IntPtr attributes, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Secret)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool secret_password_clearv_sync(IntPtr schema, IntPtr attributes, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Secret)]
    internal static partial IntPtr secret_service_get_sync(int flags, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Secret, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr secret_collection_for_alias_sync(IntPtr service, string alias, int flags, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Secret)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool secret_collection_get_locked(IntPtr collection);

    [LibraryImport("libgobject-2.0.so.0")]
    internal static partial void g_object_unref(IntPtr instance);

    /// <summary>Overwrites the secret's memory before freeing it.</summary>
    [LibraryImport(Secret)]
    internal static partial void secret_password_free(IntPtr password);
}
