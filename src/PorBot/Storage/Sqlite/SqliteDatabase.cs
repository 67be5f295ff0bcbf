using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace PorBot.Storage.Sqlite;

/// <summary>
/// The embedded database: one file, WAL journal, a fresh pooled connection per unit of work (SQLite
/// connections are cheap and not thread-safe, so sharing one would serialise everything anyway), and
/// for the hot reads of a turn, read-only connections rented with their prepared statements (<see cref="RentAsync"/>),
/// which a read snapshot (<see cref="BeginRead"/>) runs in one transaction.
/// </summary>
public sealed class SqliteDatabase : IReadSnapshots, IDisposable
{
    private static readonly AsyncLocal<ReadSnapshot?> CurrentSnapshot = new();

    // Enough for every thread of a busy 2-core host to hold one at once; more would only keep memory.
    private const int MaxIdleRented = 16;

    private readonly ConcurrentBag<RentedConnection> _idle = [];
    private readonly string _rentedConnectionString;
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
        // Rented connections are read-only (query_only) for life and pooled here (RentAsync): kept out of
        // Microsoft.Data.Sqlite's pool, so closing one really closes it instead of lending that setting to a writer.
        _rentedConnectionString = new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString();
    }

    public string ConnectionString { get; }

    public string FilePath { get; }

    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default) => OpenAsync(ConnectionString, cancellationToken);

    private async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        if (connection.Handle is { } handle && Configured.TryGetValue(handle, out _)) return connection;

        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        if (connection.Handle is { } configured) Configured.AddOrUpdate(configured, Marker);
        return connection;
    }

    /// <summary>
    /// An open, read-only connection that keeps the statements prepared on it (<see cref="RentedConnection.Statement"/>)
    /// from one rental to the next: compiling a statement costs SQLite far more than running an indexed
    /// lookup, and a connection opened per unit of work loses its statements when it closes. Dispose to
    /// give it back. Outside a read snapshot each statement runs in its own transaction, as on any connection;
    /// inside one (<see cref="BeginRead"/>), the flow gets the snapshot's connection and transaction.
    /// </summary>
    public async ValueTask<RentedConnection> RentAsync(CancellationToken cancellationToken = default)
    {
        if (CurrentSnapshot.Value is { } snapshot && snapshot.Database == this && await snapshot.TryLendAsync(cancellationToken) is { } shared)
        {
            return shared;
        }

        return await RentCoreAsync(cancellationToken);
    }

    /// <summary>
    /// Starts a read snapshot for the calling flow (see <see cref="IReadSnapshots"/>): the first rental inside it
    /// begins a read transaction on a rented connection, which every later rental of the flow shares until the
    /// snapshot is disposed. Three indexed reads then cost one lock on the file instead of three, and a lookup
    /// sees one point in time. The connection's kept reads (<see cref="RentedConnection.TryGetKept{T}"/>) are
    /// valid inside it.
    /// </summary>
    public IDisposable BeginRead()
    {
        var snapshot = new ReadSnapshot(this, CurrentSnapshot.Value);
        CurrentSnapshot.Value = snapshot;
        return snapshot;
    }

    private async ValueTask<RentedConnection> RentCoreAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            idle.Rented = 1;
            return idle;
        }

        var connection = await OpenAsync(_rentedConnectionString, cancellationToken);
        try
        {
            // Rented connections keep reads (TryGetKept) on the promise that they never write themselves: SQLite's
            // data_version, which says whether a kept read still holds, counts only the other connections' commits.
            await using var readOnly = connection.CreateCommand();
            readOnly.CommandText = "PRAGMA query_only = ON;";
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new RentedConnection(this, connection);
    }

    internal void Return(RentedConnection connection)
    {
        // Lent by a snapshot: it goes back to the snapshot, which gives it back to the pool when it ends.
        if (connection.Snapshot is { } snapshot)
        {
            snapshot.TakeBack(connection);
            return;
        }

        if (connection.CloseOnReturn)
        {
            if (Interlocked.Exchange(ref connection.Rented, 0) == 1) connection.Close();
            return;
        }

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

    /// <summary>One flow's read transaction, begun on the first rental and ended when the flow disposes the snapshot.</summary>
    internal sealed class ReadSnapshot(SqliteDatabase database, ReadSnapshot? outer) : IDisposable
    {
        private RentedConnection? _connection;
        private bool _lent;
        private bool _ended;

        public SqliteDatabase Database => database;

        public async ValueTask<RentedConnection?> TryLendAsync(CancellationToken cancellationToken)
        {
            // Two reads of one flow at once (never the case in a lookup): the second goes outside the snapshot.
            if (_ended || _lent) return null;
            if (_connection is null)
            {
                var connection = await database.RentCoreAsync(cancellationToken);
                try
                {
                    connection.BeginReadTransaction();
                }
                catch
                {
                    connection.Close();
                    throw;
                }

                _connection = connection;
            }

            _lent = true;
            _connection.Snapshot = this;
            return _connection;
        }

        public void TakeBack(RentedConnection connection)
        {
            if (ReferenceEquals(connection, _connection)) _lent = false;
        }

        public void Dispose()
        {
            if (_ended) return;
            _ended = true;
            if (CurrentSnapshot.Value == this) CurrentSnapshot.Value = outer;
            if (_connection is not { } connection) return;
            _connection = null;
            connection.Snapshot = null;
            if (_lent)
            {
                // A read still holds it past the snapshot's end (not disposed in order): it is closed when that read
                // gives it back, so no later renter inherits the open transaction.
                connection.CloseOnReturn = true;
                return;
            }

            if (connection.TryEndReadTransaction()) database.Return(connection);
            else connection.Close();
        }
    }
}

/// <summary>A connection from <see cref="SqliteDatabase.RentAsync"/>: use it from one flow at a time, dispose it to give it back.</summary>
public sealed class RentedConnection : IDisposable, IAsyncDisposable
{
    // Per connection; a handful of tenants, domains and claim sets per hot path is what pays.
    private const int MaxKept = 256;

    private readonly SqliteDatabase _owner;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Statement, string Key), object> _kept = [];
    private long _keptAtVersion = -1;
    private bool _inReadTransaction;
    private sqlite3_stmt? _begin;
    private sqlite3_stmt? _dataVersion;
    private sqlite3_stmt? _commit;
    internal int Rented = 1;
    internal SqliteDatabase.ReadSnapshot? Snapshot;
    internal bool CloseOnReturn;

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

    /// <summary>
    /// A read this connection kept (<see cref="Keep"/>) under the same statement and key, if nothing has been
    /// committed to the database since: only inside a read snapshot, whose start compares SQLite's
    /// <c>PRAGMA data_version</c> (which changes with every other connection's commit, this process's or another's,
    /// such as the import CLI) with the one the kept reads were made at, and forgets them all when it moved.
    /// Kept values are shared by every later reader: they must be immutable.
    /// </summary>
    public bool TryGetKept<T>(string statement, string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) where T : class
    {
        if (_inReadTransaction && _kept.TryGetValue((statement, key), out var kept))
        {
            value = (T)kept;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Keeps what <paramref name="statement"/> read for <paramref name="key"/> in this snapshot (nothing outside one).</summary>
    public T Keep<T>(string statement, string key, T value) where T : class
    {
        if (!_inReadTransaction) return value;
        if (_kept.Count >= MaxKept) _kept.Clear();
        _kept[(statement, key)] = value;
        return value;
    }

    // BEGIN, PRAGMA data_version and COMMIT run on every lookup: straight through SQLite's C API, as ADO.NET's
    // command and reader objects around three one-word statements cost more than the statements.
    internal void BeginReadTransaction()
    {
        Step(_begin ??= Prepare("BEGIN"));
        // Read inside the transaction: the version of the snapshot every read until COMMIT sees.
        var dataVersion = _dataVersion ??= Prepare("PRAGMA data_version");
        try
        {
            var rc = raw.sqlite3_step(dataVersion);
            if (rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, Connection.Handle);
            var version = raw.sqlite3_column_int64(dataVersion, 0);
            if (version != _keptAtVersion)
            {
                _kept.Clear();
                _keptAtVersion = version;
            }
        }
        catch
        {
            raw.sqlite3_reset(dataVersion);
            Step(_commit ??= Prepare("COMMIT"));
            throw;
        }

        raw.sqlite3_reset(dataVersion);
        _inReadTransaction = true;
    }

    internal bool TryEndReadTransaction()
    {
        _inReadTransaction = false;
        var commit = _commit ??= Prepare("COMMIT");
        var rc = raw.sqlite3_step(commit);
        raw.sqlite3_reset(commit);
        // A reader left open keeps the transaction: the connection is closed instead of lent again.
        return rc == raw.SQLITE_DONE;
    }

    private sqlite3_stmt Prepare(string sql)
    {
        var rc = raw.sqlite3_prepare_v2(Connection.Handle, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, Connection.Handle);
        return statement;
    }

    private void Step(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, Connection.Handle);
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
        _begin?.Dispose();
        _dataVersion?.Dispose();
        _commit?.Dispose();
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
