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

    protected override IConversationReferenceStore CreateStore() =>
        new AzureConversationReferenceStore(_clients, new AzureAlertChannelStore(_clients, TimeProvider.System), TimeProvider.System);

    protected override Task DesignateForAlertsAsync(string tenantId, string conversationId) =>
        new AzureAlertChannelStore(_clients, TimeProvider.System).DesignateAsync(
            new AlertChannel(tenantId, conversationId, "4412345", "groupChat", null, "operator", DateTimeOffset.UtcNow), CancellationToken.None);

    public override async Task InitializeAsync() => _clients = await azurite.CreateClientsAsync();

    public override Task DisposeAsync() => Task.CompletedTask;

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

[Collection(AzuriteCollection.Name)]
public sealed class AzureAlertChannelStoreTests(AzuriteFixture azurite) : AlertChannelStoreContract
{
    private AzureStorageClients _clients = null!;

    protected override IAlertChannelStore CreateStore() => new AzureAlertChannelStore(_clients, TimeProvider.System);

    protected override IConversationReferenceStore CreateReferenceStore() => new AzureConversationReferenceStore(_clients, CreateStore(), TimeProvider.System);

    public override async Task InitializeAsync() => _clients = await azurite.CreateClientsAsync();

    public override Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AlertTargets_OfATenantWithManyGroupChats_ReadItsDesignationsOnce()
    {
        var designations = new CountingAlertChannelStore(CreateStore());
        var references = new AzureConversationReferenceStore(_clients, designations, TimeProvider.System);
        for (var i = 0; i < 12; i++)
        {
            await references.UpsertAsync(Reference($"19:chat-{i:D2}@thread.v2", "", "groupChat"), default);
            if (i % 3 == 0) await designations.DesignateAsync(Designation($"19:chat-{i:D2}@thread.v2"), default);
        }

        designations.Calls.Clear();
        var targets = await references.ListAlertTargetsByTenantAsync(Tenant, default);

        Assert.Equal(4, targets.Count);
        Assert.Equal([nameof(IAlertChannelStore.ListByTenantAsync)], designations.Calls);
    }

    private sealed class CountingAlertChannelStore(IAlertChannelStore inner) : IAlertChannelStore
    {
        public List<string> Calls { get; } = [];

        public Task DesignateAsync(AlertChannel channel, CancellationToken cancellationToken) =>
            Count(nameof(DesignateAsync), inner.DesignateAsync(channel, cancellationToken));

        public Task<bool> RemoveAsync(string tenantId, string conversationId, CancellationToken cancellationToken) =>
            Count(nameof(RemoveAsync), inner.RemoveAsync(tenantId, conversationId, cancellationToken));

        public Task<AlertChannel?> GetAsync(string tenantId, string conversationId, CancellationToken cancellationToken) =>
            Count(nameof(GetAsync), inner.GetAsync(tenantId, conversationId, cancellationToken));

        public Task<IReadOnlyList<AlertChannel>> ListByTenantAsync(string tenantId, CancellationToken cancellationToken) =>
            Count(nameof(ListByTenantAsync), inner.ListByTenantAsync(tenantId, cancellationToken));

        public Task<IReadOnlyList<AlertChannelState>> ListAsync(string? partnerId, CancellationToken cancellationToken) =>
            Count(nameof(ListAsync), inner.ListAsync(partnerId, cancellationToken));

        private T Count<T>(string call, T result)
        {
            lock (Calls) Calls.Add(call);
            return result;
        }
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
