using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Connector;

/// <summary>Builds the create-conversation bodies Teams accepts (bot-protocol.md §4 "Proactive 1:1").</summary>
public static class TeamsConversationParameters
{
    public const string BotIdPrefix = "28:";

    /// <summary>
    /// A 1:1 (personal) conversation between the bot and one user. Teams needs the tenant both at the
    /// top level and in <c>channelData.tenant.id</c>, and the bot as <c>28:&lt;app id&gt;</c>. The app
    /// must already be installed for the user, or the connector answers 403.
    /// </summary>
    /// <param name="botAppId">The Microsoft app id, with or without the <c>28:</c> prefix.</param>
    /// <param name="userId">The user's <c>29:</c> id as this bot saw it.</param>
    /// <param name="tenantId">The user's tenant.</param>
    /// <param name="activity">Optional first message; the response then carries its activity id.</param>
    public static ConversationParameters CreatePersonal(string botAppId, string userId, string tenantId, Activity? activity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(botAppId);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return new ConversationParameters
        {
            IsGroup = false,
            Bot = new ChannelAccount { Id = botAppId.StartsWith(BotIdPrefix, StringComparison.Ordinal) ? botAppId : BotIdPrefix + botAppId },
            Members = [new ChannelAccount { Id = userId }],
            TenantId = tenantId,
            ChannelData = ProtocolJson.ToElement(new TeamsChannelData { Tenant = new TenantInfo { Id = tenantId } }),
            Activity = activity,
        };
    }
}
