namespace Latchkey.EndToEnd.Tests;

/// <summary>A fresh temporary directory, deleted with everything in it.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("latchkey-e2e-tmp-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
