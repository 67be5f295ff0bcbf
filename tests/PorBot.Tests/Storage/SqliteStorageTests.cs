using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;
using PorBot.Tests.Registry;
using PorBot.Tests.Storage.Contracts;

namespace PorBot.Tests.Storage;

/// <summary>A migrated SQLite file in a temp folder, for the contract tests.</summary>
public sealed class SqliteTestStorage : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"));

    private SqliteTestStorage() => Database = new SqliteDatabase($"Data Source={Path.Combine(_directory, "porbot.db")}");

    public SqliteDatabase Database { get; }

    public Task DesignateForAlertsAsync(string tenantId, string conversationId) =>
        new SqliteAlertChannelStore(Database).DesignateAsync(
            new AlertChannel(tenantId, conversationId, "4412345", "groupChat", null, "operator", DateTimeOffset.UtcNow), CancellationToken.None);

    public static async Task<SqliteTestStorage> CreateAsync()
    {
        var storage = new SqliteTestStorage();
        await new SqliteMigrator(storage.Database, NullLogger<SqliteMigrator>.Instance).MigrateAsync();
        return storage;
    }

    public ValueTask DisposeAsync()
    {
        Database.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteDialogStateStoreTests : DialogStateStoreContract
{
    private SqliteTestStorage _storage = null!;

    protected override IDialogStateStore CreateStore() => new SqliteDialogStateStore(_storage.Database, TimeProvider.System);

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}

public sealed class SqliteConversationReferenceStoreTests : ConversationReferenceStoreContract
{
    private SqliteTestStorage _storage = null!;

    protected override IConversationReferenceStore CreateStore() => new SqliteConversationReferenceStore(_storage.Database, TimeProvider.System);

    protected override Task DesignateForAlertsAsync(string tenantId, string conversationId) =>
        _storage.DesignateForAlertsAsync(tenantId, conversationId);

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}

public sealed class SqliteAlertOutboxTests : AlertOutboxContract
{
    private SqliteTestStorage _storage = null!;

    protected override IAlertOutbox CreateOutbox() => new SqliteAlertOutbox(_storage.Database, Time, Microsoft.Extensions.Options.Options.Create(DeliveryOptions));

    // Outbox rows reference their conflict.
    protected override async Task<Guid> NewConflictAsync()
    {
        var id = Guid.NewGuid();
        await using var connection = await _storage.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, version, created_at, updated_at) "
            + "VALUES ($id, $sub, '4412345', 'Open', 1, '2026-03-02T09:00:00.0000000Z', '2026-03-02T09:00:00.0000000Z')";
        command.Parameters.AddWithValue("$id", id.ToString("D"));
        command.Parameters.AddWithValue("$sub", Guid.NewGuid().ToString("D"));
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}

public sealed class SqliteAlertChannelStoreTests : AlertChannelStoreContract
{
    private SqliteTestStorage _storage = null!;

    protected override IAlertChannelStore CreateStore() => new SqliteAlertChannelStore(_storage.Database);

    protected override IConversationReferenceStore CreateReferenceStore() => new SqliteConversationReferenceStore(_storage.Database, TimeProvider.System);

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}

public sealed class SqlitePorRegistryTests : PorRegistryContract
{
    private RegistryTestDatabase _db = null!;

    protected override string SourceName => SqlitePorRegistry.SourceName;

    protected override IPorRegistry Registry(TimeProvider? time = null) => _db.Registry(time);

    protected override async Task ImportAsync(params (string Name, string Csv)[] files) =>
        await _db.ImportOkAsync(files.Select(f => _db.WriteFile(f.Name, f.Csv)).ToArray());

    protected override Task<string> SnapshotAsync() => _db.DumpAsync();

    protected override async Task<IReadOnlyList<string>> PorChangeLogAsync(Guid subscriptionId)
    {
        await using var connection = await _db.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT coalesce(old_partner_id, 'NULL') || '→' || coalesce(new_partner_id, 'NULL') || ' ' || effective_from || ' ' || reason
            FROM por_changes WHERE subscription_id = $id ORDER BY id
            """;
        command.Parameters.AddWithValue("$id", subscriptionId.ToString("D"));
        var log = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) log.Add(reader.GetString(0));
        return log;
    }

    protected override async Task CreateStoreAsync() => _db = await RegistryTestDatabase.CreateAsync();

    public override async Task DisposeAsync() => await _db.DisposeAsync();
}

public sealed class SqliteDatabaseTests
{
    [Fact]
    public async Task EveryOpenedConnection_HasForeignKeysBusyTimeoutAndNormalSync_AlsoWhenThePoolHandsItOutAgain()
    {
        await using var storage = await SqliteTestStorage.CreateAsync();
        for (var open = 0; open < 3; open++)
        {
            await using var connection = await storage.Database.OpenAsync();
            Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA foreign_keys"));
            Assert.Equal(5000L, await ScalarAsync(connection, "PRAGMA busy_timeout"));
            Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA synchronous"));
        }
    }

    private static async Task<long> ScalarAsync(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
