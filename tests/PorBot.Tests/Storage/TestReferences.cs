using PorBot.Conversations;

namespace PorBot.Tests.Storage;

/// <summary>Conversation references as the stores keep them, with the fields every storage test sets the same way.</summary>
internal static class TestReferences
{
    public static StoredConversationReference Place(string tenantId, string conversationId, string userAadObjectId = "", string? conversationType = null) => new()
    {
        TenantId = tenantId,
        ConversationId = conversationId,
        UserAadObjectId = userAadObjectId,
        BotId = "28:bot",
        ServiceUrl = "https://smba.trafficmanager.net/amer/",
        ServiceUrlVerified = true,
        ChannelId = "msteams",
        ConversationType = conversationType,
    };
}
