using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Protocol.Activities;
using PorBot.Storage.Sqlite;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>
/// Where alerts go (issues 5 and 6): personal chats, and team channels or group chats a partner admin chose with
/// <c>alerts here</c>; never a chat the bot was merely added to.
/// </summary>
public sealed class AlertChannelTests : IAsyncLifetime
{
    private const string PartnerAdmin = "5c5c5c5c-aaaa-4bbb-8ccc-0d0d0d0d0d0d";
    private const string ContosoGroupChat = "19:contoso-deal-desk@thread.v2";
    private const string ContosoChannel = "19:contoso-por@thread.tacv2";
    private const string FabrikamChat = "a:fabrikam-lee";

    /// <summary>Wide World Importers, Intune (MOSP): Contoso is POR. A second conflict for Contoso.</summary>
    private static readonly Guid ContosoHeldToo = Guid.Parse("2e3f4a5b-6c7d-4e9f-8a0b-1c2d3e4f5a15");

    private BotTestHost _bot = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>(Claims.Settings)
        {
            ["PorBot:PartnerAdmins:0"] = PartnerAdmin,
            ["Alerts:PollInterval"] = "00:00:00.050",
        };
        _bot = await BotTestHost.StartAsync(settings: settings);
        await _bot.AddConversationAsync(Sample.FabrikamTenant, FabrikamChat, "22222222-2222-4222-8222-222222222222");
    }

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task GroupChatTheBotWasAddedTo_GetsNoAlertUntilAPartnerAdminTypesAlertsHere_ThenTheWaitingAndTheNextAlert()
    {
        await AddBotToGroupChatAsync(ContosoGroupChat);
        var first = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Fabrikam, Status: "Delivered" }));
        Assert.Equal("Waiting", Assert.Single(await _bot.OutboxAsync(), r => r.Party == Claims.Contoso).Status);
        Assert.Empty(AlertCardsSentTo(ContosoGroupChat));

        var reply = await SayInGroupAsync(ContosoGroupChat, "alerts here", PartnerAdmin);

        Assert.StartsWith("Done: conflict alerts for Contoso Cloud Partners (4412345) will be posted here", reply.Text, StringComparison.Ordinal);
        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Contoso, Conversation: ContosoGroupChat, Status: "Delivered" }));
        var waiting = Assert.Single(AlertCardsSentTo(ContosoGroupChat));
        Assert.Contains(first.ConflictId!.Value.ToString("D"), waiting, StringComparison.Ordinal);

        var next = await _bot.ClaimAsync(ContosoHeldToo, Claims.Fabrikam);

        await WaitForRowsAsync(r => r.Count(x => x is { Party: Claims.Contoso, Conversation: ContosoGroupChat, Status: "Delivered" }) == 2);
        Assert.Contains(next.ConflictId!.Value.ToString("D"), AlertCardsSentTo(ContosoGroupChat)[^1], StringComparison.Ordinal);
        // The admin's own row in the group chat (written when they typed) is not a second target: one card per conflict.
        Assert.Equal(2, AlertCardsSentTo(ContosoGroupChat).Count);
    }

    [Fact]
    public async Task AlertsHere_InAChannelThread_PostsNewAlertsInTheChannelItself()
    {
        var reply = await SayInGroupAsync(ContosoChannel + ";messageid=1712345678901", "alerts here", Sample.OperatorAadObjectId, ConversationTypes.Channel,
            teamName: "Contoso Sales", channelName: "POR");
        Assert.StartsWith("Done:", reply.Text, StringComparison.Ordinal);

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        // Every send settled (the other party's alert too), so none lands while the status reply is awaited.
        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Contoso, Conversation: ContosoChannel, Status: "Delivered" })
            && r.All(x => x.Status is "Delivered" or "Waiting"));
        Assert.Single(AlertCardsSentTo(ContosoChannel));
        var status = await _bot.AskAsync("alerts status", Sample.ContosoTenant);
        Assert.Contains("Contoso Sales / POR, conversation 19:contoso-por@thread.tacv2", status.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertsHere_ByAUserWhoIsNoPartnerAdmin_IsRefusedAndTheChatGetsNoAlerts()
    {
        await AddBotToGroupChatAsync(ContosoGroupChat);

        var reply = await SayInGroupAsync(ContosoGroupChat, "alerts here", TestActivities.UserAadObjectId);

        Assert.Equal(AlertChannelTexts.NotAnAdmin, reply.Text);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Fabrikam, Status: "Delivered" }));
        Assert.Equal("Waiting", Assert.Single(await _bot.OutboxAsync(), r => r.Party == Claims.Contoso).Status);
        Assert.Equal(0, await _bot.CountAsync("alert_channels"));
    }

    [Fact]
    public async Task AlertsHere_InATenantOfNoRegisteredPartner_IsRefusedEvenForAListedAdmin()
    {
        var reply = await SayInGroupAsync("19:unmapped-chat@thread.v2", "alerts here", PartnerAdmin, tenantId: Sample.UnmappedTenant);

        Assert.Equal(AlertChannelTexts.NotAPartnerTenant, reply.Text);
        Assert.Equal(0, await _bot.CountAsync("alert_channels"));
    }

    [Fact]
    public async Task AlertsHere_InAPersonalChat_ExplainsPersonalChatsAlreadyGetAlerts()
    {
        var reply = await _bot.AskAsync("alerts here", Sample.ContosoTenant, PartnerAdmin);

        Assert.Equal(AlertChannelTexts.PersonalHere, reply.Text);
        Assert.Equal(0, await _bot.CountAsync("alert_channels"));
    }

    [Theory]
    [InlineData("alerts off here")]
    [InlineData("alerts here off")]
    public async Task AlertsOffHere_AfterAlertsHere_TheNextAlertGoesToPersonalChatsOnly(string off)
    {
        await SayInGroupAsync(ContosoGroupChat, "alerts here", PartnerAdmin);

        var reply = await SayInGroupAsync(ContosoGroupChat, off, PartnerAdmin);
        var again = await SayInGroupAsync(ContosoGroupChat, off, PartnerAdmin);

        Assert.Equal(AlertChannelTexts.Removed, reply.Text);
        Assert.Equal(AlertChannelTexts.NotDesignated, again.Text);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Fabrikam, Status: "Delivered" }));
        Assert.Equal("Waiting", Assert.Single(await _bot.OutboxAsync(), r => r.Party == Claims.Contoso).Status);
        Assert.Empty(AlertCardsSentTo(ContosoGroupChat));
    }

    [Fact]
    public async Task AlertsOffHere_ByANonAdmin_IsRefusedAndTheChatKeepsItsAlerts()
    {
        await SayInGroupAsync(ContosoGroupChat, "alerts here", PartnerAdmin);

        var reply = await SayInGroupAsync(ContosoGroupChat, "alerts off here", TestActivities.UserAadObjectId);

        Assert.Equal(AlertChannelTexts.NotAnAdmin, reply.Text);
        Assert.Equal(1, await _bot.CountAsync("alert_channels"));
    }

    [Fact]
    public async Task AlertsStatus_ListsTheChosenConversations_OwnForAPartnerAllForOperators()
    {
        await SayInGroupAsync(ContosoGroupChat, "alerts here", PartnerAdmin);

        var contoso = await _bot.AskAsync("alerts status", Sample.ContosoTenant);
        var fabrikam = await _bot.AskAsync("alerts status", Sample.FabrikamTenant);
        var operatorReply = await _bot.AskAsync("alerts status", Sample.UnmappedTenant, Sample.OperatorAadObjectId);

        Assert.Contains($"A group chat, conversation {ContosoGroupChat}", contoso.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(ContosoGroupChat, fabrikam.Text, StringComparison.Ordinal);
        Assert.Contains("Alerts go to personal chats only", fabrikam.Text, StringComparison.Ordinal);
        Assert.Contains($"conversation {ContosoGroupChat}, partner {Claims.Contoso}", operatorReply.Text, StringComparison.Ordinal);
    }

    /// <summary>Teams' install events in a group chat: the conversation's own reference (user ''), and a welcome card.</summary>
    private async Task AddBotToGroupChatAsync(string conversationId)
    {
        var added = TestActivities.BotAdded(_bot.Connector.ServiceUrl, conversationId);
        added.Conversation!.ConversationType = ConversationTypes.GroupChat;
        added.Conversation.IsGroup = true;
        using var response = await _bot.PostActivityAsync(added);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>An @mention of the bot in a group chat or channel, and the bot's one text reply there.</summary>
    private async Task<Activity> SayInGroupAsync(string conversationId, string text, string userAadObjectId, string type = ConversationTypes.GroupChat,
        string tenantId = Sample.ContosoTenant, string? teamName = null, string? channelName = null)
    {
        var activity = TestActivities.GroupMention(_bot.Connector.ServiceUrl, text, conversationId);
        activity.Id = Guid.NewGuid().ToString("N");
        activity.Conversation!.ConversationType = type;
        activity.From!.AadObjectId = userAadObjectId;
        activity.ChannelData = JsonSerializer.SerializeToElement(teamName is null
            ? new { tenant = new { id = tenantId } }
            : (object)new { tenant = new { id = tenantId }, team = new { id = "19:team@thread.tacv2", name = teamName }, channel = new { id = conversationId.Split(';')[0], name = channelName } });

        // Only replies: the alert worker may post into the same conversation meanwhile.
        bool IsReply(ConnectorRequest r) => r.Operation == ConnectorOperation.ReplyToActivity && r.ConversationId == conversationId;
        var before = _bot.Connector.Activities.Count(IsReply);
        using var response = await _bot.PostActivityAsync(activity);
        response.EnsureSuccessStatusCode();
        var replies = _bot.Connector.Activities.Where(IsReply).ToList();
        Assert.Equal(before + 1, replies.Count);
        return replies[^1].Activity!;
    }

    private List<string> AlertCardsSentTo(string conversationId) =>
        _bot.Connector.Requests
            .Where(r => r.Operation == ConnectorOperation.SendToConversation && r.ConversationId == conversationId &&
                        r.Body?.TryGetProperty("attachments", out _) == true)
            .Select(r => r.Body!.Value.GetProperty("attachments")[0].GetProperty("content").GetRawText())
            .Where(card => card.Contains("POR conflict", StringComparison.Ordinal))
            .ToList();

    private async Task<List<OutboxRow>> WaitForRowsAsync(Func<List<OutboxRow>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var rows = await _bot.OutboxAsync();
            if (done(rows)) return rows;
            if (DateTime.UtcNow > deadline) Assert.Fail("Outbox did not reach the expected state: " + JsonSerializer.Serialize(rows));
            await Task.Delay(25);
        }
    }
}
