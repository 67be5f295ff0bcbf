using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Storage;

/// <summary>Rented connections keep their prepared statements between uses, and still read what others commit.</summary>
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
