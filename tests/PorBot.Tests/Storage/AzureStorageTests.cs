using PorBot.Conversations;
using PorBot.Storage.AzureStorage;
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

    protected override IConversationReferenceStore CreateStore() => new AzureConversationReferenceStore(_clients, TimeProvider.System);

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
