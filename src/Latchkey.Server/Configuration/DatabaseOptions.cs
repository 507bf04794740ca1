namespace Latchkey.Server.Configuration;

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (embedded default) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For sqlite: empty means {DataDirectory}/latchkey.db. For postgres: an Npgsql connection string.</summary>
    public string? ConnectionString { get; set; }
}
