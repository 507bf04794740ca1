namespace Latchkey.Server.Storage;

public enum DatabaseEngine
{
    Sqlite,
    Postgres,
}
