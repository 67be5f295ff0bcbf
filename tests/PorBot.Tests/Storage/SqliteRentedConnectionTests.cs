using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Storage;

/// <summary>
/// Rented connections keep their prepared statements between uses, and still read what others commit; a read snapshot
/// runs a flow's reads in one transaction, and reads kept with a connection hold only while nothing is committed.
/// </summary>
public sealed class SqliteRentedConnectionTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"));
    private SqliteDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = new SqliteDatabase($"Data Source={Path.Combine(_directory, "test.db")}");
        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER NOT NULL); INSERT INTO t (v) VALUES (1);");
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync()
    {
        _database.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RentedConnection_KeptBetweenRentals_SeesWhatOthersCommitted()
    {
        Assert.Equal(1L, await ReadAsync());

        await WriteAsync("UPDATE t SET v = 2");

        Assert.Equal(2L, await ReadAsync());
    }

    [Fact]
    public async Task Statement_RunAgainWithOtherParameters_AnswersForTheNewOnes()
    {
        await WriteAsync("INSERT INTO t (v) VALUES (5)");

        Assert.Equal(1L, await CountAsync(1));
        Assert.Equal(1L, await CountAsync(5));
        Assert.Equal(0L, await CountAsync(7));
    }

    [Fact]
    public async Task RentedConnection_DisposedTwice_IsLentToOneCallerOnly()
    {
        var connection = await _database.RentAsync();
        await connection.DisposeAsync();
        await connection.DisposeAsync();

        await using var first = await _database.RentAsync();
        await using var second = await _database.RentAsync();

        Assert.NotSame(first.Connection, second.Connection);
    }

    [Fact]
    public async Task RentedConnection_AskedToWrite_RefusesSoItsKeptReadsStayTrue()
    {
        await using var connection = await _database.RentAsync();

        var error = await Assert.ThrowsAsync<SqliteException>(() => connection.Statement("UPDATE t SET v = 9").ExecuteNonQueryAsync());

        Assert.Contains("readonly", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1L, await ReadAsync());
    }

    [Fact]
    public async Task RentedConnectionsClosedPastThePoolLimit_LeaveNoReadOnlyConnectionForWriters()
    {
        SqliteConnection.ClearAllPools();
        var rented = new List<RentedConnection>();
        for (var i = 0; i < 20; i++) rented.Add(await _database.RentAsync());
        // 16 are kept idle for later rentals; the rest are closed.
        foreach (var connection in rented) await connection.DisposeAsync();

        for (var i = 0; i < 5; i++) await WriteAsync($"INSERT INTO t (v) VALUES ({10 + i})");

        Assert.Equal(5L, await CountAtLeastAsync(10));
    }

    [Fact]
    public async Task ReadSnapshot_EndedWhileARentalIsStillHeld_ThatConnectionIsNotLentAgainInItsTransaction()
    {
        RentedConnection held;
        using (_database.BeginRead())
        {
            held = await _database.RentAsync();
            Assert.Equal(1L, (long)(await held.Statement("SELECT v FROM t").ExecuteScalarAsync())!);
        }

        await held.DisposeAsync();
        await WriteAsync("UPDATE t SET v = 6");

        // Had the held connection gone back to the pool still in its read transaction, this would read 1.
        Assert.Equal(6L, await ReadAsync());
    }

    [Fact]
    public async Task ReadSnapshot_AnotherConnectionCommitsMidway_LaterReadsStillSeeTheSnapshot()
    {
        using (_database.BeginRead())
        {
            Assert.Equal(1L, await ReadAsync());

            await WriteAsync("UPDATE t SET v = 2");

            Assert.Equal(1L, await ReadAsync());
        }

        Assert.Equal(2L, await ReadAsync());
    }

    [Fact]
    public async Task ReadSnapshot_ReadsOfOneFlow_ShareOneConnection()
    {
        using var snapshot = _database.BeginRead();
        SqliteConnection first, second;
        await using (var connection = await _database.RentAsync()) first = connection.Connection;
        await using (var connection = await _database.RentAsync()) second = connection.Connection;

        Assert.Same(first, second);
    }

    [Fact]
    public async Task ReadSnapshot_TwoReadsAtOnce_SecondGetsItsOwnConnection()
    {
        using var snapshot = _database.BeginRead();
        await using var first = await _database.RentAsync();
        await using var second = await _database.RentAsync();

        Assert.NotSame(first.Connection, second.Connection);
        Assert.Equal(1L, (long)(await second.Statement("SELECT v FROM t").ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task KeptRead_NothingCommittedSince_IsServedAgainInTheNextSnapshot()
    {
        Assert.Equal(1L, await KeptReadAsync());

        Assert.Equal((1L, true), await KeptReadWithSourceAsync());
    }

    [Fact]
    public async Task KeptRead_AnotherConnectionCommitted_IsReadAgain()
    {
        Assert.Equal(1L, await KeptReadAsync());

        await WriteAsync("UPDATE t SET v = 3");

        Assert.Equal((3L, false), await KeptReadWithSourceAsync());
    }

    [Fact]
    public async Task KeptRead_AConnectionOutsideThePoolCommitted_IsReadAgain()
    {
        Assert.Equal(1L, await KeptReadAsync());

        // As the import CLI writes while the bot runs: a connection of its own, outside the bot's pool.
        await using (var other = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False"))
        {
            await other.OpenAsync();
            await using var command = other.Command("UPDATE t SET v = 4");
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal((4L, false), await KeptReadWithSourceAsync());
    }

    [Fact]
    public async Task KeptRead_OutsideASnapshot_IsNeitherKeptNorServed()
    {
        await using (var connection = await _database.RentAsync())
        {
            connection.Keep("SELECT v FROM t", "", new object());
            Assert.False(connection.TryGetKept<object>("SELECT v FROM t", "", out _));
        }

        Assert.Equal((1L, false), await KeptReadWithSourceAsync());
    }

    private async Task<long> KeptReadAsync() => (await KeptReadWithSourceAsync()).Value;

    /// <summary>The value of t in a snapshot, kept with the connection; Kept says whether it came from an earlier snapshot.</summary>
    private async Task<(long Value, bool Kept)> KeptReadWithSourceAsync()
    {
        using var snapshot = _database.BeginRead();
        await using var connection = await _database.RentAsync();
        if (connection.TryGetKept<StrongBox<long>>("SELECT v FROM t", "", out var kept)) return (kept.Value, true);
        var value = (long)(await connection.Statement("SELECT v FROM t").ExecuteScalarAsync())!;
        return (connection.Keep("SELECT v FROM t", "", new StrongBox<long>(value)).Value, false);
    }

    private async Task<long> CountAtLeastAsync(long value)
    {
        await using var connection = await _database.RentAsync();
        return (long)(await connection.Statement("SELECT count(*) FROM t WHERE v >= $v").With("$v", value).ExecuteScalarAsync())!;
    }

    private async Task<long> ReadAsync()
    {
        await using var connection = await _database.RentAsync();
        return (long)(await connection.Statement("SELECT v FROM t").ExecuteScalarAsync())!;
    }

    private async Task<long> CountAsync(long value)
    {
        await using var connection = await _database.RentAsync();
        return (long)(await connection.Statement("SELECT count(*) FROM t WHERE v = $v").With("$v", value).ExecuteScalarAsync())!;
    }

    private async Task WriteAsync(string sql)
    {
        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command(sql);
        await command.ExecuteNonQueryAsync();
    }
}
