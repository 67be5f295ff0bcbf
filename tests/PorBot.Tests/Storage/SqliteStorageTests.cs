using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Conversations;
using PorBot.Storage.Sqlite;
using PorBot.Tests.Storage.Contracts;

namespace PorBot.Tests.Storage;

/// <summary>A migrated SQLite file in a temp folder, for the contract tests.</summary>
public sealed class SqliteTestStorage : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"));

    private SqliteTestStorage() => Database = new SqliteDatabase($"Data Source={Path.Combine(_directory, "porbot.db")}");

    public SqliteDatabase Database { get; }

    public static async Task<SqliteTestStorage> CreateAsync()
    {
        var storage = new SqliteTestStorage();
        await new SqliteMigrator(storage.Database, NullLogger<SqliteMigrator>.Instance).MigrateAsync();
        return storage;
    }

    public ValueTask DisposeAsync()
    {
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

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}
