using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;

namespace PorBot.Conversations;

/// <summary>
/// Sends outside of a turn to a stored conversation reference. A 403/404 from the connector means the
/// bot can no longer post there, so the reference is marked dead (with the connector's reason) and
/// the failure is returned to the caller, never swallowed.
/// </summary>
public sealed class ProactiveMessenger(
    IConnectorClient connector,
    ServiceUrlTrust serviceUrlTrust,
    IConversationReferenceStore store,
    ILogger<ProactiveMessenger> logger)
{
    public async Task<ResourceResponse> SendAsync(StoredConversationReference target, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(activity);
        if (target.ServiceUrlVerified) serviceUrlTrust.Trust(target.ServiceUrl);

        activity.Type ??= ActivityTypes.Message;
        activity.From ??= new ChannelAccount { Id = target.BotId };
        activity.Conversation ??= new ConversationAccount { Id = target.ConversationId, TenantId = target.TenantId };
        activity.ChannelId ??= target.ChannelId;

        try
        {
            return await connector.SendToConversationAsync(target.ServiceUrl, target.ConversationId, activity, cancellationToken);
        }
        catch (ConnectorException ex) when (ex.IsConversationGone)
        {
            var reason = $"{(int)ex.StatusCode!} {ex.ErrorCode ?? ex.StatusCode.ToString()}: {ex.Message}";
            logger.LogWarning("Conversation {ConversationId} is gone ({Reason}); marking it dead", target.ConversationId, reason);
            await store.MarkDeadAsync(target.ConversationId, reason, cancellationToken);
            throw;
        }
    }
}
