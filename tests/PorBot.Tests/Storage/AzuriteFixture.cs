using PorBot.Storage;
using PorBot.Storage.AzureStorage;
using PorBot.Testing;

namespace PorBot.Tests.Storage;

/// <summary>One Azurite for every test class in the "Azurite" collection; each class takes its own table prefix.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    public string ConnectionString => (_server ?? throw new InvalidOperationException("Azurite is not started.")).ConnectionString;

    public async Task InitializeAsync() => _server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>Clients for a fresh set of tables and queues (created), isolated from every other test by their prefix.</summary>
    public async Task<AzureStorageClients> CreateClientsAsync(string? prefix = null)
    {
        var clients = new AzureStorageClients(new AzureStorageOptions { ConnectionString = ConnectionString, TablePrefix = prefix ?? AzuriteServer.NewTablePrefix() });
        await clients.CreateTablesAsync();
        await clients.CreateQueuesAsync();
        return clients;
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
