using PorBot.Conversations;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>What every <see cref="IConversationReferenceStore"/> does, whatever holds the references.</summary>
public abstract class ConversationReferenceStoreContract : IAsyncLifetime
{
    protected const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    /// <summary>A store over this test's storage; every call gives another instance over the same data.</summary>
    protected abstract IConversationReferenceStore CreateStore();

    /// <summary>What <c>alerts here</c> does: the conversation gets its partner's alerts.</summary>
    protected abstract Task DesignateForAlertsAsync(string tenantId, string conversationId);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    protected static StoredConversationReference Reference(string conversationId, string user = "aad-1", string tenant = Tenant) =>
        TestReferences.Place(tenant, conversationId, user, "personal") with { UserId = "29:" + user, UserName = "User " + user };

    [Fact]
    public async Task Get_Unknown_ReturnsNull() =>
        Assert.Null(await CreateStore().GetAsync(Tenant, "a:none", "aad-1", default));

    [Fact]
    public async Task Upsert_ThenGet_ReturnsEveryField()
    {
        var reference = Reference("a:chat-1") with { TeamId = "19:team@thread.tacv2", ConversationType = "channel" };

        await CreateStore().UpsertAsync(reference, default);

        var stored = await CreateStore().GetAsync(Tenant, "a:chat-1", "aad-1", default);
        Assert.NotNull(stored);
        Assert.Equal(reference with { UpdatedAt = stored.UpdatedAt }, stored);
        Assert.False(stored.IsDead);
        Assert.Null(stored.DeadReason);
        Assert.InRange(stored.UpdatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Upsert_WithoutOptionalDetails_KeepsTheOnesStoredBefore()
    {
        var store = CreateStore();
        await store.UpsertAsync(Reference("a:chat-1") with { TeamId = "19:team" }, default);

        await store.UpsertAsync(Reference("a:chat-1") with { UserId = null, UserName = null, ConversationType = null, TeamId = null, ServiceUrl = "https://smba.trafficmanager.net/emea/" }, default);

        var stored = await store.GetAsync(Tenant, "a:chat-1", "aad-1", default);
        Assert.Equal("29:aad-1", stored!.UserId);
        Assert.Equal("User aad-1", stored.UserName);
        Assert.Equal("personal", stored.ConversationType);
        Assert.Equal("19:team", stored.TeamId);
        Assert.Equal("https://smba.trafficmanager.net/emea/", stored.ServiceUrl);
    }

    [Fact]
    public async Task MarkDead_MarksEveryReferenceToTheConversation_WithTheReason()
    {
        var store = CreateStore();
        await store.UpsertAsync(Reference("19:group@thread.v2", "aad-1"), default);
        await store.UpsertAsync(Reference("19:group@thread.v2", "aad-2"), default);
        await store.UpsertAsync(Reference("19:group@thread.v2", ""), default);
        await store.UpsertAsync(Reference("a:other", "aad-1"), default);

        await CreateStore().MarkDeadAsync("19:group@thread.v2", "403 BotBlocked", default);

        var live = await store.ListLiveByTenantAsync(Tenant, default);
        Assert.Equal(["a:other"], live.Select(r => r.ConversationId));
        var dead = await store.GetAsync(Tenant, "19:group@thread.v2", "aad-2", default);
        Assert.True(dead!.IsDead);
        Assert.Equal("403 BotBlocked", dead.DeadReason);
    }

    [Fact]
    public async Task MarkDead_UnknownConversation_DoesNothing()
    {
        await CreateStore().MarkDeadAsync("a:never-seen", "gone", default);

        Assert.Null(await CreateStore().GetAsync(Tenant, "a:never-seen", "aad-1", default));
    }

    [Fact]
    public async Task Upsert_AfterMarkDead_RevivesTheReferenceAndClearsTheReason()
    {
        var store = CreateStore();
        await store.UpsertAsync(Reference("a:chat-1"), default);
        await store.MarkDeadAsync("a:chat-1", "The app was removed from this conversation.", default);

        await store.UpsertAsync(Reference("a:chat-1"), default);

        var stored = await store.GetAsync(Tenant, "a:chat-1", "aad-1", default);
        Assert.False(stored!.IsDead);
        Assert.Null(stored.DeadReason);
        Assert.Single(await store.ListLiveByTenantAsync(Tenant, default));
    }

    [Fact]
    public async Task ListLiveByTenant_OnlyThatTenantsLiveReferences_ByConversationThenUser()
    {
        var store = CreateStore();
        await store.UpsertAsync(Reference("a:2", "aad-b"), default);
        await store.UpsertAsync(Reference("a:1", "aad-b"), default);
        await store.UpsertAsync(Reference("a:2", "aad-a"), default);
        await store.UpsertAsync(Reference("a:3", "aad-a", tenant: "other-tenant"), default);
        await store.UpsertAsync(Reference("a:4", "aad-a"), default);
        await store.MarkDeadAsync("a:4", "gone", default);

        var live = await CreateStore().ListLiveByTenantAsync(Tenant, default);

        Assert.Equal(["a:1/aad-b", "a:2/aad-a", "a:2/aad-b"], live.Select(r => $"{r.ConversationId}/{r.UserAadObjectId}"));
        Assert.Empty(await store.ListLiveByTenantAsync("tenant-without-references", default));
    }

    [Fact]
    public async Task Ids_WithSeparatorsSlashesAndAccents_AreKeptApart()
    {
        var store = CreateStore();
        string[] conversations = ["a:x|y", "a:x", "a/b#c?d\\e", "a%2Fb", "19:ü@thread.v2;messageid=1"];
        foreach (var conversation in conversations)
        {
            await store.UpsertAsync(Reference(conversation, "u|1"), default);
            await store.UpsertAsync(Reference(conversation, "u"), default);
        }

        await store.MarkDeadAsync("a:x", "gone", default);

        foreach (var conversation in conversations)
        {
            var stored = await store.GetAsync(Tenant, conversation, "u|1", default);
            Assert.Equal(conversation, stored!.ConversationId);
            Assert.Equal(conversation == "a:x", stored.IsDead);
        }

        Assert.Equal(8, (await store.ListLiveByTenantAsync(Tenant, default)).Count);
    }

    [Fact]
    public async Task AlertTargets_ArePersonalChatsAndDesignatedConversations_EachOnce()
    {
        var store = CreateStore();
        await store.UpsertAsync(Reference("a:personal", "aad-1"), default);
        await store.UpsertAsync(Reference("19:plain@thread.v2", "") with { ConversationType = "groupChat" }, default);
        await store.UpsertAsync(Reference("19:chosen@thread.v2", "") with { ConversationType = "groupChat" }, default);
        await store.UpsertAsync(Reference("19:chosen@thread.v2", "aad-2") with { ConversationType = "groupChat" }, default);
        await store.UpsertAsync(Reference("a:other-tenant", "aad-3", tenant: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"), default);
        await store.UpsertAsync(Reference("a:dead", "aad-4"), default);
        await store.MarkDeadAsync("a:dead", "403 BotBlocked", default);
        await DesignateForAlertsAsync(Tenant, "19:chosen@thread.v2");

        var targets = await CreateStore().ListAlertTargetsByTenantAsync(Tenant, default);

        Assert.Equal(["19:chosen@thread.v2|", "a:personal|aad-1"],
            targets.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}").Order(StringComparer.Ordinal));
    }
}
