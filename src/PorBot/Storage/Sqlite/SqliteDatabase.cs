using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace PorBot.Storage.Sqlite;

/// <summary>
/// The embedded database: one file, WAL journal, a fresh pooled connection per unit of work (SQLite
/// connections are cheap and not thread-safe, so sharing one would serialise everything anyway), and
/// for the hot reads of a turn, connections rented with their prepared statements (<see cref="RentAsync"/>).
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    // Enough for every thread of a busy 2-core host to hold one at once; more would only keep memory.
    private const int MaxIdleRented = 16;

    private readonly ConcurrentBag<RentedConnection> _idle = [];
    private int _idleCount;
    private volatile bool _disposed;

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

    /// <summary>
    /// An open connection that keeps the statements prepared on it (<see cref="RentedConnection.Statement"/>)
    /// from one rental to the next: compiling a statement costs SQLite far more than running an indexed
    /// lookup, and a connection opened per unit of work loses its statements when it closes. Dispose to
    /// give it back. For single statements outside explicit transactions (each runs in its own, as on any connection).
    /// </summary>
    public async ValueTask<RentedConnection> RentAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            idle.Rented = 1;
            return idle;
        }

        return new RentedConnection(this, await OpenAsync(cancellationToken));
    }

    internal void Return(RentedConnection connection)
    {
        // Disposed twice: giving it back twice would hand one connection to two flows.
        if (Interlocked.Exchange(ref connection.Rented, 0) == 0) return;
        if (_disposed || Interlocked.Increment(ref _idleCount) > MaxIdleRented)
        {
            if (!_disposed) Interlocked.Decrement(ref _idleCount);
            connection.Close();
            return;
        }

        _idle.Add(connection);
        // Disposed meanwhile: nobody else will close what was just added.
        if (_disposed) CloseIdle();
    }

    /// <summary>Closes the rented connections kept idle (the file can then be deleted or replaced).</summary>
    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryTake(out var connection)) connection.Close();
    }
}

/// <summary>A connection from <see cref="SqliteDatabase.RentAsync"/>: use it from one flow at a time, dispose it to give it back.</summary>
public sealed class RentedConnection : IDisposable, IAsyncDisposable
{
    private readonly SqliteDatabase _owner;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    internal int Rented = 1;

    internal RentedConnection(SqliteDatabase owner, SqliteConnection connection)
    {
        _owner = owner;
        Connection = connection;
    }

    /// <summary>For statements that are not worth keeping (text built per call): create, run and dispose them as usual.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>
    /// The command for <paramref name="sql"/>, prepared the first time this connection runs it and kept
    /// with it; its parameters are cleared for the caller. Do not dispose it, and dispose its readers.
    /// Only for SQL text that is fixed in code: every distinct text is kept for the connection's life.
    /// </summary>
    public SqliteCommand Statement(string sql)
    {
        if (_statements.TryGetValue(sql, out var command))
        {
            command.Parameters.Clear();
            return command;
        }

        command = Connection.CreateCommand();
        command.CommandText = sql;
        _statements[sql] = command;
        return command;
    }

    public void Dispose() => _owner.Return(this);

    public ValueTask DisposeAsync()
    {
        _owner.Return(this);
        return ValueTask.CompletedTask;
    }

    internal void Close()
    {
        foreach (var command in _statements.Values) command.Dispose();
        _statements.Clear();
        Connection.Dispose();
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
