using System.Text.Json;

namespace Latchkey.Client.Credentials;

/// <summary>
/// `$LATCHKEY_HOME/auth.json`: directory 0700, file 0600, written to a temporary file, flushed to disk and renamed
/// over the old one under a lock file, so a crash at any moment leaves the old or the new credential.
/// </summary>
internal sealed class FileCredentialStore(string home) : ICredentialStore
{
    public const string FileName = "auth.json";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    public string Home { get; } = home;

    public string FilePath => Path.Combine(Home, FileName);

    private string LockPath => Path.Combine(Home, FileName + ".lock");

    public string Description => $"file ({FilePath})";

    public async Task<AuthDotJson?> LoadAsync(CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(FilePath, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new LatchkeyException(ErrorCodes.CredentialFileInvalid, $"Cannot read {FilePath}: permission denied.", ex);
        }

        return Parse(bytes, FilePath);
    }

    public async Task SaveAsync(AuthDotJson auth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auth);
        EnsurePrivateDirectory(Home);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(auth, AuthJsonContext.Default.AuthDotJson);
        using var held = await FileLock.AcquireAsync(LockPath, LockTimeout, cancellationToken);
        // A writer killed between creating its temp file and the rename leaves it behind (with a secret in it); under
        // the lock no other write is in flight, so every temp file here is stale and goes now.
        RemoveStaleTempFiles();
        var temp = Path.Combine(Home, $"{TempPrefix}{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var stream = new FileStream(temp, options))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            // rename(2) replaces the file atomically: readers see the old or the new content.
            File.Move(temp, FilePath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private const string TempPrefix = "." + FileName + ".";

    private void RemoveStaleTempFiles()
    {
        foreach (var stale in Directory.EnumerateFiles(Home, TempPrefix + "*.tmp"))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
                // Best effort: the next write tries again.
            }
        }
    }

    public async Task<bool> DeleteAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Home))
        {
            return false;
        }

        using var held = await FileLock.AcquireAsync(LockPath, LockTimeout, cancellationToken);
        if (!File.Exists(FilePath))
        {
            return false;
        }

        File.Delete(FilePath);
        return true;
    }

    /// <summary>
    /// Moves an unreadable auth.json aside (auth.json.corrupt-&lt;time&gt;) so a new login can be saved without
    /// silently destroying it. Returns the backup path, or null when the file was fine or absent.
    /// </summary>
    public async Task<string?> QuarantineIfUnreadableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LoadAsync(cancellationToken);
            return null;
        }
        catch (LatchkeyException ex) when (ex.Code == ErrorCodes.CredentialFileInvalid)
        {
            using var held = await FileLock.AcquireAsync(LockPath, LockTimeout, cancellationToken);
            var backup = FilePath + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            File.Move(FilePath, backup, overwrite: true);
            return backup;
        }
    }

    internal static AuthDotJson Parse(byte[] bytes, string source)
    {
        try
        {
            // Tolerate a UTF-8 byte order mark: some editors add one when a user fixes the file by hand.
            var json = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes.AsSpan(3) : bytes;
            var auth = JsonSerializer.Deserialize(json, AuthJsonContext.Default.AuthDotJson);
            return auth ?? throw new JsonException("The file holds null.");
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1})" : string.Empty;
            throw new LatchkeyException(
                ErrorCodes.CredentialFileInvalid,
                $"{source} is not a valid credential file{where}. Fix it, or run `latchkey logout` and sign in again.",
                ex);
        }
    }

    internal static void EnsurePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An existing home may have been created more open; credentials must not be listable by others.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
