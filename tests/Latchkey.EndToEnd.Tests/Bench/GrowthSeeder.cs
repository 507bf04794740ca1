using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// Fills a running server's SQLite file with stored grants (one grant and one live refresh token each), written
/// straight into the tables in large transactions, so growth is measured without minting a million sign-ins over HTTP.
/// </summary>
public static class GrowthSeeder
{
    /// <summary>Adds grants until the table holds <paramref name="total"/> or the time runs out; returns how many it holds.</summary>
    public static long SeedTo(string databasePath, long total, TimeSpan budget)
    {
        SQLitePCL.Batteries_V2.Init();
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";
            pragmas.ExecuteNonQuery();
        }

        string userId, workspaceId;
        using (var who = connection.CreateCommand())
        {
            who.CommandText = "SELECT user_id, workspace_id FROM grants LIMIT 1";
            using var reader = who.ExecuteReader();
            reader.Read();
            (userId, workspaceId) = (reader.GetString(0), reader.GetString(1));
        }

        var have = Count(connection);
        var started = Stopwatch.GetTimestamp();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expires = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeMilliseconds();
        while (have < total && Stopwatch.GetElapsedTime(started) < budget)
        {
            var batch = (int)Math.Min(20_000, total - have);
            using var tx = connection.BeginTransaction();
            using var grant = connection.CreateCommand();
            grant.Transaction = tx;
            grant.CommandText = "INSERT INTO grants (id, user_id, workspace_id, client_id, scope, auth_time, created_at) VALUES ($id, $user, $ws, 'latchkey-cli', 'openid profile email offline_access', $now, $now)";
            var id = grant.Parameters.Add("$id", SqliteType.Text);
            grant.Parameters.AddWithValue("$user", userId);
            grant.Parameters.AddWithValue("$ws", workspaceId);
            grant.Parameters.AddWithValue("$now", now);
            using var token = connection.CreateCommand();
            token.Transaction = tx;
            token.CommandText = "INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES ($hash, $grant, $now, $expires)";
            var hash = token.Parameters.Add("$hash", SqliteType.Text);
            var grantId = token.Parameters.Add("$grant", SqliteType.Text);
            token.Parameters.AddWithValue("$now", now);
            token.Parameters.AddWithValue("$expires", expires);
            grant.Prepare();
            token.Prepare();
            for (var i = 0; i < batch; i++)
            {
                id.Value = grantId.Value = "grt_seed_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
                hash.Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                grant.ExecuteNonQuery();
                token.ExecuteNonQuery();
            }

            tx.Commit();
            have += batch;
        }

        return have;
    }

    public static long Count(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM grants";
        return (long)count.ExecuteScalar()!;
    }
}
