using System.Text.Json;
using PorBot.Protocol.Activities;

namespace PorBot.Tests;

/// <summary>Activities shaped as Teams sends them (see bot-protocol.md §1), addressed to a fake connector.</summary>
public static class TestActivities
{
    public const string BotId = "28:" + BotTestHost.AppId;
    public const string UserTenantId = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";
    public const string UserAadObjectId = "7faf8ab2-1111-4c2d-9e3f-0a1b2c3d4e5f";

    public static Activity Message(string serviceUrl, string text, string conversationId = "a:personal-chat-1",
        string? tenantId = UserTenantId, string userAadObjectId = UserAadObjectId, string userId = "29:user-1") => new()
    {
        Type = ActivityTypes.Message,
        Id = "1485983408511",
        Timestamp = DateTimeOffset.UtcNow,
        ServiceUrl = serviceUrl,
        ChannelId = Channels.MsTeams,
        From = new ChannelAccount { Id = userId, Name = "Megan Bowen", AadObjectId = userAadObjectId },
        Conversation = new ConversationAccount { ConversationType = ConversationTypes.Personal, Id = conversationId },
        Recipient = new ChannelAccount { Id = BotId, Name = "PorBot" },
        TextFormat = "plain",
        Text = text,
        Locale = "en-US",
        ChannelData = tenantId is null ? null : JsonSerializer.SerializeToElement(new { tenant = new { id = tenantId } }),
    };

    public static Activity GroupMention(string serviceUrl, string textAfterMention, string conversationId = "19:group-chat@thread.v2")
    {
        var activity = Message(serviceUrl, $"<at>PorBot</at> {textAfterMention}", conversationId);
        activity.Conversation!.ConversationType = ConversationTypes.GroupChat;
        activity.Conversation.IsGroup = true;
        activity.Entities =
        [
            new Entity { Type = "mention", Text = "<at>PorBot</at>", Mentioned = new ChannelAccount { Id = BotId, Name = "PorBot" } },
        ];
        return activity;
    }

    public static Activity BotAdded(string serviceUrl, string conversationId = "a:personal-chat-1")
    {
        var activity = Message(serviceUrl, "", conversationId);
        activity.Type = ActivityTypes.ConversationUpdate;
        activity.Text = null;
        activity.TextFormat = null;
        activity.MembersAdded = [new ChannelAccount { Id = BotId }];
        return activity;
    }

    public static Activity Installation(string serviceUrl, string action, string conversationId = "a:personal-chat-1")
    {
        var activity = Message(serviceUrl, "", conversationId);
        activity.Type = ActivityTypes.InstallationUpdate;
        activity.Text = null;
        activity.TextFormat = null;
        activity.Action = action;
        return activity;
    }

    public static Activity Invoke(string serviceUrl, string name, object? value = null)
    {
        var activity = Message(serviceUrl, "");
        activity.Type = ActivityTypes.Invoke;
        activity.Text = null;
        activity.TextFormat = null;
        activity.Name = name;
        activity.Value = value is null ? null : ProtocolJson.ToElement(value);
        return activity;
    }
}
