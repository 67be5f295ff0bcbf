using System.Net;
using PorBot.Conversations;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;
using PorBot.Testing;

namespace PorBot.Tests.Pipeline;

/// <summary>Where people can be reached proactively is captured, kept fresh, survives restarts, and dies with 403.</summary>
public sealed class ConversationReferenceTests
{
    [Fact]
    public async Task Message_StoresReferenceKeyedByTenantConversationAndUser_WithTenantFromChannelData()
    {
        await using var bot = await BotTestHost.StartAsync();

        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "help"));

        var stored = await bot.GetRequiredService<IConversationReferenceStore>()
            .GetAsync(TestActivities.UserTenantId, "a:personal-chat-1", TestActivities.UserAadObjectId, default);
        Assert.NotNull(stored);
        Assert.Equal(bot.Connector.ServiceUrl, stored.ServiceUrl);
        Assert.Equal("29:user-1", stored.UserId);
        Assert.Equal(TestActivities.BotId, stored.BotId);
        Assert.False(stored.ServiceUrlVerified);
    }

    [Theory]
    [InlineData("team")]
    [InlineData("Team")]
    public async Task ChannelMessage_StoresTheTeamFromChannelData_PersonalMessageStoresNone(string teamProperty)
    {
        await using var bot = await BotTestHost.StartAsync();
        var channelMessage = TestActivities.GroupMention(bot.Connector.ServiceUrl, "help", "19:general@thread.tacv2");
        channelMessage.Conversation!.ConversationType = ConversationTypes.Channel;
        channelMessage.ChannelData = System.Text.Json.JsonDocument.Parse($$$"""
            {"tenant":{"id":"{{{TestActivities.UserTenantId}}}"},"{{{teamProperty}}}":{"id":"19:team-1@thread.tacv2","aadGroupId":"5a1c7d3e-0000-4000-8000-0000000000aa"},"channel":{"id":"19:general@thread.tacv2"}}
            """).RootElement;

        await bot.PostActivityAsync(channelMessage);
        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "help"));

        var store = bot.GetRequiredService<IConversationReferenceStore>();
        var inChannel = await store.GetAsync(TestActivities.UserTenantId, "19:general@thread.tacv2", TestActivities.UserAadObjectId, default);
        Assert.Equal("19:team-1@thread.tacv2", inChannel?.TeamId);
        Assert.Equal("5a1c7d3e-0000-4000-8000-0000000000aa", inChannel?.TeamAadGroupId);
        var personal = await store.GetAsync(TestActivities.UserTenantId, "a:personal-chat-1", TestActivities.UserAadObjectId, default);
        Assert.NotNull(personal);
        Assert.Null(personal.TeamId);
    }

    [Fact]
    public async Task ServiceUrlChange_IsPickedUp_AndSurvivesRestart()
    {
        string databasePath;
        string newServiceUrl;
        await using (var bot = await BotTestHost.StartAsync())
        {
            databasePath = bot.DatabasePath;
            newServiceUrl = bot.Connector.GetServiceUrl("emea");
            await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "hi"));
            await bot.PostActivityAsync(TestActivities.Message(newServiceUrl, "hi"));
        }

        await using var restarted = await BotTestHost.StartAsync(databasePath: databasePath);
        var stored = await restarted.GetRequiredService<IConversationReferenceStore>()
            .ListLiveByTenantAsync(TestActivities.UserTenantId, default);
        Assert.Equal(newServiceUrl, Assert.Single(stored).ServiceUrl);
    }

    [Fact]
    public async Task Uninstall_MarksConversationDead_AndReinstallRevivesIt()
    {
        await using var bot = await BotTestHost.StartAsync();
        var store = bot.GetRequiredService<IConversationReferenceStore>();

        await bot.PostActivityAsync(TestActivities.Installation(bot.Connector.ServiceUrl, "add"));
        await bot.PostActivityAsync(TestActivities.Installation(bot.Connector.ServiceUrl, "remove"));
        Assert.Empty(await store.ListLiveByTenantAsync(TestActivities.UserTenantId, default));

        await bot.PostActivityAsync(TestActivities.Installation(bot.Connector.ServiceUrl, "add"));
        Assert.Single(await store.ListLiveByTenantAsync(TestActivities.UserTenantId, default));
    }

    [Fact]
    public async Task ProactiveSend_403FromConnector_MarksReferenceDeadWithReason()
    {
        await using var bot = await BotTestHost.StartAsync();
        var store = bot.GetRequiredService<IConversationReferenceStore>();
        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "hi"));
        await bot.Connector.WaitForActivitiesAsync(1);
        var target = Assert.Single(await store.ListLiveByTenantAsync(TestActivities.UserTenantId, default));
        bot.Connector.FailConversation(target.ConversationId, FakeConnectorResponse.BotBlocked());

        var messenger = bot.GetRequiredService<ProactiveMessenger>();
        var error = await Assert.ThrowsAsync<ConnectorException>(() => messenger.SendAsync(target, Activity.CreateMessage("alert"), default));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Empty(await store.ListLiveByTenantAsync(TestActivities.UserTenantId, default));
        var dead = await store.GetAsync(target.TenantId, target.ConversationId, target.UserAadObjectId, default);
        Assert.True(dead!.IsDead);
        Assert.StartsWith("403", dead.DeadReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProactiveSend_LiveReference_PostsToTheStoredConversation()
    {
        await using var bot = await BotTestHost.StartAsync();
        var store = bot.GetRequiredService<IConversationReferenceStore>();
        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "hi"));
        await bot.Connector.WaitForActivitiesAsync(1);
        var target = Assert.Single(await store.ListLiveByTenantAsync(TestActivities.UserTenantId, default));

        var sent = await bot.GetRequiredService<ProactiveMessenger>().SendAsync(target, Activity.CreateMessage("alert"), default);

        var all = await bot.Connector.WaitForActivitiesAsync(2);
        Assert.Equal("alert", all[1].Activity!.Text);
        Assert.Equal(all[1].ResponseId, sent.Id);
        Assert.Null(all[1].ActivityId);
    }
}
