namespace Latchkey.Server.Storage;

/// <summary>
/// The data directory, the database files and the key file hold every secret of the server: only the account the
/// server runs as may read them (directory 0700, files 0600). Windows has no Unix modes; its ACLs are the operator's.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the directory 0700, or tightens an existing one that group or others can enter.</summary>
    public static void EnsureDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, DirectoryMode);
            return;
        }

        var mode = File.GetUnixFileMode(path);
        // A sticky directory (/tmp) is shared by design: it is not ours to tighten.
        if ((mode & GroupOrOthers) != 0 && (mode & UnixFileMode.StickyBit) == 0)
        {
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }

    /// <summary>
    /// Creates an empty SQLite database file 0600 before SQLite first opens it (SQLite gives its -wal, -shm and
    /// -journal files the mode of the database file), and tightens the files of an existing database.
    /// </summary>
    public static void PrepareSqliteFiles(string databasePath)
    {
        if (OperatingSystem.IsWindows() || string.IsNullOrEmpty(databasePath) || databasePath == ":memory:")
        {
            return;
        }

        if (!File.Exists(databasePath))
        {
            try
            {
                using var created = new FileStream(databasePath, new FileStreamOptions
                {
                    Mode = System.IO.FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = FileMode,
                });
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Another instance created it first; it is tightened below like any existing file.
            }
            catch (DirectoryNotFoundException)
            {
                // SQLite reports a missing directory itself, with the path, when the database is opened.
                return;
            }
        }

        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            var file = databasePath + suffix;
            if (File.Exists(file) && (File.GetUnixFileMode(file) & GroupOrOthers) != 0)
            {
                File.SetUnixFileMode(file, FileMode);
            }
        }
    }

    /// <summary>Creates a new file that only the owner can read (fails if it exists).</summary>
    public static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return new FileStream(path, options);
    }

    /// <summary>True if group or others may read, write or enter the path.</summary>
    public static bool IsSharedWithOthers(string path)
        => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) != 0;
}
