using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using PorBot.Cli;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage.AzureStorage;
using PorBot.Tests.Registry;
using PorBot.Tests.Storage.Contracts;

namespace PorBot.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class AzureDialogStateStoreTests(AzuriteFixture azurite) : DialogStateStoreContract
{
    private AzureStorageClients _clients = null!;

    protected override IDialogStateStore CreateStore() => new AzureDialogStateStore(_clients, TimeProvider.System);

    public override async Task InitializeAsync() => _clients = await azurite.CreateClientsAsync();

    public override Task DisposeAsync() => Task.CompletedTask;
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureConversationReferenceStoreTests(AzuriteFixture azurite) : ConversationReferenceStoreContract
{
    private AzureStorageClients _clients = null!;

    // Alert channel designations are still kept in SQLite under the Azure provider (issue 7, part 2).
    private SqliteTestStorage _sqlite = null!;

    protected override IConversationReferenceStore CreateStore() =>
        new AzureConversationReferenceStore(_clients, new SqliteAlertChannelStore(_sqlite.Database), TimeProvider.System);

    protected override Task DesignateForAlertsAsync(string tenantId, string conversationId) => _sqlite.DesignateForAlertsAsync(tenantId, conversationId);

    public override async Task InitializeAsync()
    {
        _clients = await azurite.CreateClientsAsync();
        _sqlite = await SqliteTestStorage.CreateAsync();
    }

    public override async Task DisposeAsync() => await _sqlite.DisposeAsync();

    [Fact]
    public async Task ReinstallOnOneInstance_AfterUninstallOnAnother_RevivesTheReference()
    {
        var first = CreateStore();
        var second = CreateStore();
        await first.UpsertAsync(Reference("a:chat-1"), default);

        await second.MarkDeadAsync("a:chat-1", "The app was removed from this conversation.", default);
        await first.UpsertAsync(Reference("a:chat-1"), default);

        Assert.False((await second.GetAsync(Tenant, "a:chat-1", "aad-1", default))!.IsDead);
    }
}

/// <summary>The registry contract on Azure Tables, loaded as production loads it: import into SQLite, then migrate-to-azure.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTablePorRegistryTests(AzuriteFixture azurite) : PorRegistryContract
{
    private RegistryTestDatabase _db = null!;
    private AzureStorageClients _clients = null!;

    protected override string SourceName => AzureTablePorRegistry.SourceName;

    protected override IPorRegistry Registry(TimeProvider? time = null) => new AzureTablePorRegistry(_clients, time ?? TimeProvider.System);

    protected override async Task ImportAsync(params (string Name, string Csv)[] files)
    {
        await _db.ImportOkAsync(files.Select(f => _db.WriteFile(f.Name, f.Csv)).ToArray());
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await MigrateToAzureCommand.RunAsync(["--from", _db.Path, "--connection-string", azurite.ConnectionString, "--table-prefix", _clients.Prefix], output, error);
        Assert.True(exit == 0, $"migrate-to-azure failed ({exit}):\n{error}\n{output}");
    }

    protected override Task<string> SnapshotAsync() => AzureTableDump.AllAsync(_clients);

    protected override async Task<IReadOnlyList<string>> PorChangeLogAsync(Guid subscriptionId)
    {
        var log = new List<(string Key, string Line)>();
        var table = _clients.Table(AzureTableNames.RegistryCustomers);
        var prefix = "chg|" + subscriptionId.ToString("D") + "|";
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey ge {prefix} and RowKey lt {prefix + "~"}")))
        {
            log.Add((e.RowKey, $"{e.GetString("OldPartnerId") ?? "NULL"}→{e.GetString("NewPartnerId") ?? "NULL"} {e.GetString("EffectiveFrom")} {e.GetString("Reason")}"));
        }

        return log.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Line).ToList();
    }

    protected override async Task CreateStoreAsync()
    {
        _db = await RegistryTestDatabase.CreateAsync();
        _clients = await azurite.CreateClientsAsync();
    }

    public override async Task DisposeAsync() => await _db.DisposeAsync();
}

/// <summary>Every row of PorBot's tables under one prefix, without server timestamps: equal dumps mean equal content.</summary>
internal static class AzureTableDump
{
    public static async Task<string> AllAsync(AzureStorageClients clients)
    {
        var dump = new StringBuilder();
        foreach (var name in AzureTableNames.All)
        {
            var rows = new List<string>();
            await foreach (var e in clients.Table(name).QueryAsync<TableEntity>())
            {
                rows.Add(string.Join('|', e.Keys.Where(k => k is not ("Timestamp" or "odata.etag")).Order(StringComparer.Ordinal)
                    .Select(k => k + "=" + Convert.ToString(e[k], CultureInfo.InvariantCulture))));
            }

            rows.Sort(StringComparer.Ordinal);
            dump.Append("== ").Append(name).Append(' ').Append(rows.Count).AppendLine();
            foreach (var row in rows) dump.AppendLine(row);
        }

        return dump.ToString();
    }
}
