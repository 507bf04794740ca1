namespace Latchkey.Client.Credentials;

/// <summary>
/// A cross-process exclusive lock on a lock file. On Unix .NET maps FileShare.None to flock(LOCK_EX), which the
/// kernel releases when the holder dies — a killed process never leaves a stale lock behind.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream stream;

    private FileLock(FileStream stream) => this.stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var deadline = DateTime.UtcNow + timeout;
        var delay = 10;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                return new FileLock(new FileStream(path, options));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay, cancellationToken);
                delay = Math.Min(delay * 2, 200);
            }
            catch (IOException ex)
            {
                throw new LatchkeyException(ErrorCodes.LockTimeout, $"Another Latchkey process holds {path}; gave up after {timeout.TotalSeconds:0} s.", ex);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
