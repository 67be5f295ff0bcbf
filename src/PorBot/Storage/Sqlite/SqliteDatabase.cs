using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace PorBot.Storage.Sqlite;

/// <summary>
/// The embedded database: one file, WAL journal, a fresh pooled connection per unit of work (SQLite
/// connections are cheap and not thread-safe, so sharing one would serialise everything anyway).
/// </summary>
public sealed class SqliteDatabase
{
    // The PRAGMAs below belong to the native connection, which the pool hands out again and again: running them on
    // every open cost a round of statements per unit of work (a lookup turn opens three). Weakly keyed by the
    // native handle, so a handle the pool closes takes its entry with it.
    private static readonly ConditionalWeakTable<object, object> Configured = [];
    private static readonly object Marker = new();

    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string.</param>
    /// <param name="basePath">What a relative Data Source is relative to (the app's content root), so the file does not move with the working directory.</param>
    public SqliteDatabase(string connectionString, string? basePath = null)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            builder.DataSource = Path.GetFullPath(builder.DataSource, basePath ?? Directory.GetCurrentDirectory());
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }

        ConnectionString = builder.ToString();
        FilePath = builder.DataSource;
    }

    public string ConnectionString { get; }

    public string FilePath { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        if (connection.Handle is { } handle && Configured.TryGetValue(handle, out _)) return connection;

        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        if (connection.Handle is { } configured) Configured.AddOrUpdate(configured, Marker);
        return connection;
    }
}

internal static class SqliteExtensions
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static string? GetNullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static string ToDbTime(this DateTimeOffset time) => time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset FromDbTime(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
