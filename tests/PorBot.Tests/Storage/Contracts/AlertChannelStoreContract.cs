using PorBot.Conversations;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// What every <see cref="IAlertChannelStore"/> does, whatever holds the designations, and how the conversation
/// reference store of the same storage turns them into alert targets. "Another instance" is a second store over
/// the same storage, as a second bot process behind a load balancer would have.
/// </summary>
public abstract class AlertChannelStoreContract : IAsyncLifetime
{
    protected const string Tenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";
    protected const string OtherTenant = "2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02";
    protected const string Contoso = "4412345";
    protected const string Fabrikam = "5523456";
    private const string GroupChat = "19:deal-desk@thread.v2";
    private const string Channel = "19:por@thread.tacv2";
    private static readonly DateTimeOffset Monday = new(2026, 3, 16, 9, 30, 0, TimeSpan.Zero);

    /// <summary>An alert channel store over this test's storage; every call gives another instance over the same data.</summary>
    protected abstract IAlertChannelStore CreateStore();

    /// <summary>The conversation reference store over the same storage, reading designations from <see cref="CreateStore"/>'s.</summary>
    protected abstract IConversationReferenceStore CreateReferenceStore();

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    protected static AlertChannel Designation(string conversationId, string partnerId = Contoso, string tenant = Tenant, string? type = "groupChat",
        string? name = "Deal desk", string by = "aad-admin", DateTimeOffset? at = null) =>
        new(tenant, conversationId, partnerId, type, name, by, at ?? Monday);

    protected static StoredConversationReference Reference(string conversationId, string user, string type, string tenant = Tenant) =>
        TestReferences.Place(tenant, conversationId, user, type);

    [Fact]
    public async Task Get_NeverDesignated_ReturnsNull() =>
        Assert.Null(await CreateStore().GetAsync(Tenant, GroupChat, default));

    [Fact]
    public async Task Designate_ThenGetOnAnotherInstance_ReturnsEveryField()
    {
        var channel = Designation(Channel, type: "channel", name: "Contoso Sales / POR");

        await CreateStore().DesignateAsync(channel, default);

        Assert.Equal(channel, await CreateStore().GetAsync(Tenant, Channel, default));
    }

    [Fact]
    public async Task Designate_Again_IsOneDesignation_WithTheNewPartnerWhoAndWhen_KeepingATypeAndNameLeftOut()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation(GroupChat), default);

        await CreateStore().DesignateAsync(Designation(GroupChat, Fabrikam, type: null, name: null, by: "aad-other", at: Monday.AddDays(1)), default);

        Assert.Equal(Designation(GroupChat, Fabrikam, by: "aad-other", at: Monday.AddDays(1)), await store.GetAsync(Tenant, GroupChat, default));
        Assert.Single(await store.ListAsync(null, default));
    }

    [Fact]
    public async Task Remove_Designated_ReturnsTrue_ThenItIsGoneEverywhere()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation(GroupChat), default);

        Assert.True(await CreateStore().RemoveAsync(Tenant, GroupChat, default));

        Assert.Null(await store.GetAsync(Tenant, GroupChat, default));
        Assert.Empty(await store.ListAsync(null, default));
        Assert.Empty(await store.ListAsync(Contoso, default));
        Assert.Empty(await store.ListByTenantAsync(Tenant, default));
    }

    [Fact]
    public async Task Remove_AgainOrNeverDesignated_ReturnsFalse()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation(GroupChat), default);
        Assert.True(await store.RemoveAsync(Tenant, GroupChat, default));

        Assert.False(await store.RemoveAsync(Tenant, GroupChat, default));
        Assert.False(await store.RemoveAsync(Tenant, "19:never@thread.v2", default));
        Assert.False(await store.RemoveAsync(OtherTenant, GroupChat, default));
    }

    [Fact]
    public async Task Designate_AfterRemove_DesignatesAfresh_WithoutTheRemovedName()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation(GroupChat, name: "Old name"), default);
        await store.RemoveAsync(Tenant, GroupChat, default);

        await store.DesignateAsync(Designation(GroupChat, name: null, at: Monday.AddHours(1)), default);

        Assert.Equal(Designation(GroupChat, name: null, at: Monday.AddHours(1)), await CreateStore().GetAsync(Tenant, GroupChat, default));
        Assert.Single(await store.ListByTenantAsync(Tenant, default));
    }

    [Fact]
    public async Task List_ByPartner_OnlyThatPartners_InDesignationOrder_AllForNull_ByPartnerThenTime()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation("19:c-late@thread.v2", at: Monday.AddHours(2)), default);
        await store.DesignateAsync(Designation("19:f@thread.v2", Fabrikam, tenant: OtherTenant, at: Monday), default);
        await store.DesignateAsync(Designation("19:c-early@thread.v2", at: Monday.AddHours(1)), default);

        var contoso = await CreateStore().ListAsync(Contoso, default);
        var all = await CreateStore().ListAsync(null, default);

        Assert.Equal(["19:c-early@thread.v2", "19:c-late@thread.v2"], contoso.Select(s => s.Channel.ConversationId));
        Assert.Equal(["19:c-early@thread.v2", "19:c-late@thread.v2", "19:f@thread.v2"], all.Select(s => s.Channel.ConversationId));
        Assert.Empty(await store.ListAsync("9999999", default));
    }

    [Fact]
    public async Task List_Reachable_OnlyWhileTheConversationsOwnReferenceIsLive()
    {
        var references = CreateReferenceStore();
        await references.UpsertAsync(Reference("19:live@thread.v2", "", "groupChat"), default);
        await references.UpsertAsync(Reference("19:only-a-member@thread.v2", "aad-1", "groupChat"), default);
        await references.UpsertAsync(Reference("19:removed@thread.v2", "", "groupChat"), default);
        await references.MarkDeadAsync("19:removed@thread.v2", "The app was removed from this conversation.", default);
        var store = CreateStore();
        foreach (var conversation in new[] { "19:live@thread.v2", "19:only-a-member@thread.v2", "19:removed@thread.v2", "19:no-reference@thread.v2" })
        {
            await store.DesignateAsync(Designation(conversation), default);
        }

        var states = await CreateStore().ListAsync(Contoso, default);

        Assert.Equal(["19:live@thread.v2"], states.Where(s => s.Reachable).Select(s => s.Channel.ConversationId));
        Assert.Equal(4, states.Count);
    }

    [Fact]
    public async Task ListByTenant_OnlyThatTenantsDesignations()
    {
        var store = CreateStore();
        await store.DesignateAsync(Designation(Channel), default);
        await store.DesignateAsync(Designation(GroupChat), default);
        await store.DesignateAsync(Designation("19:f@thread.v2", Fabrikam, tenant: OtherTenant), default);

        var designated = await CreateStore().ListByTenantAsync(Tenant, default);

        Assert.Equal([GroupChat, Channel], designated.Select(c => c.ConversationId).Order(StringComparer.Ordinal));
        Assert.Empty(await store.ListByTenantAsync("tenant-without-designations", default));
    }

    [Fact]
    public async Task Ids_WithSeparatorsSlashesAndAccents_AreKeptApart()
    {
        var store = CreateStore();
        string[] conversations = ["a:x|y", "a:x", "a/b#c?d\\e", "a%2Fb", "19:ü@thread.v2"];
        foreach (var conversation in conversations) await store.DesignateAsync(Designation(conversation, name: conversation), default);
        await store.DesignateAsync(Designation("a:x", tenant: "t|1", name: "other tenant"), default);

        Assert.True(await store.RemoveAsync(Tenant, "a:x", default));

        foreach (var conversation in conversations.Where(c => c != "a:x"))
        {
            Assert.Equal(conversation, (await store.GetAsync(Tenant, conversation, default))!.DisplayName);
        }

        Assert.Equal("other tenant", (await store.GetAsync("t|1", "a:x", default))!.DisplayName);
        Assert.Equal(4, (await store.ListByTenantAsync(Tenant, default)).Count);
    }

    [Fact]
    public async Task Designate_OnTwoInstancesAtOnce_KeepsBothConversations()
    {
        var conversations = Enumerable.Range(0, 8).Select(i => $"19:chat-{i}@thread.v2").ToList();

        await Task.WhenAll(conversations.Select(c => CreateStore().DesignateAsync(Designation(c), default)));

        Assert.Equal(conversations.Order(StringComparer.Ordinal), (await CreateStore().ListByTenantAsync(Tenant, default)).Select(c => c.ConversationId));
    }

    [Fact]
    public async Task Remove_OnTwoInstancesAtOnce_OnlyOneSaysItRemovedIt()
    {
        for (var round = 0; round < 5; round++)
        {
            await CreateStore().DesignateAsync(Designation(GroupChat), default);

            var removed = await Task.WhenAll(CreateStore().RemoveAsync(Tenant, GroupChat, default), CreateStore().RemoveAsync(Tenant, GroupChat, default));

            Assert.Single(removed, r => r);
            Assert.Null(await CreateStore().GetAsync(Tenant, GroupChat, default));
        }
    }

    [Fact]
    public async Task AlertTargets_ArePersonalChatsAndDesignatedConversationsOnly_AndFollowAlertsOffHere()
    {
        var references = CreateReferenceStore();
        await references.UpsertAsync(Reference("a:personal-1", "aad-1", "personal"), default);
        await references.UpsertAsync(Reference("a:personal-2", "aad-2", "personal"), default);
        await references.UpsertAsync(Reference(GroupChat, "", "groupChat"), default);
        await references.UpsertAsync(Reference(GroupChat, "aad-1", "groupChat"), default);
        await references.UpsertAsync(Reference(Channel, "", "channel"), default);
        await references.UpsertAsync(Reference("19:merely-added@thread.v2", "", "groupChat"), default);
        // The same conversation id designated in another tenant makes nothing a target here.
        await references.UpsertAsync(Reference("19:other@thread.v2", "", "groupChat"), default);
        await references.UpsertAsync(Reference("19:other@thread.v2", "", "groupChat", tenant: OtherTenant), default);
        var store = CreateStore();
        await store.DesignateAsync(Designation(GroupChat), default);
        await store.DesignateAsync(Designation(Channel, type: "channel"), default);
        await store.DesignateAsync(Designation("19:other@thread.v2", Fabrikam, tenant: OtherTenant), default);

        var targets = await CreateReferenceStore().ListAlertTargetsByTenantAsync(Tenant, default);
        await CreateStore().RemoveAsync(Tenant, Channel, default);
        var afterOff = await CreateReferenceStore().ListAlertTargetsByTenantAsync(Tenant, default);

        Assert.Equal([$"{GroupChat}|", $"{Channel}|", "a:personal-1|aad-1", "a:personal-2|aad-2"],
            targets.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}").Order(StringComparer.Ordinal));
        Assert.Equal([$"{GroupChat}|", "a:personal-1|aad-1", "a:personal-2|aad-2"],
            afterOff.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}").Order(StringComparer.Ordinal));
        Assert.Equal(["19:other@thread.v2|"], (await references.ListAlertTargetsByTenantAsync(OtherTenant, default)).Select(t => $"{t.ConversationId}|{t.UserAadObjectId}"));
    }
}
