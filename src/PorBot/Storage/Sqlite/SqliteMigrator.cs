using System.Reflection;
using Microsoft.Data.Sqlite;

namespace PorBot.Storage.Sqlite;

/// <summary>
/// Applies the embedded <c>Migrations/NNN_name.sql</c> scripts in order, each in its own transaction,
/// recording what ran in <c>schema_migrations</c>. Safe to run on every start.
/// </summary>
public sealed class SqliteMigrator(SqliteDatabase database, ILogger<SqliteMigrator> logger)
{
    private const string ResourcePrefix = "PorBot.Storage.Sqlite.Migrations.";

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("PRAGMA journal_mode = WAL;").ExecuteNonQueryAsync(cancellationToken);
        await connection.Command("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id TEXT PRIMARY KEY,
                applied_at TEXT NOT NULL)
            """).ExecuteNonQueryAsync(cancellationToken);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await connection.Command("SELECT id FROM schema_migrations").ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        }

        foreach (var (id, sql) in LoadScripts().Where(s => !applied.Contains(s.Id)))
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await connection.Command(sql, transaction).ExecuteNonQueryAsync(cancellationToken);
            await connection.Command("INSERT INTO schema_migrations (id, applied_at) VALUES ($id, $at)", transaction)
                .With("$id", id).With("$at", DateTimeOffset.UtcNow.ToDbTime()).ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Applied database migration {Migration} to {Database}", id, database.FilePath);
        }
    }

    private static IEnumerable<(string Id, string Sql)> LoadScripts()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (Path.GetFileNameWithoutExtension(name[ResourcePrefix.Length..]), reader.ReadToEnd());
        }
    }
}
