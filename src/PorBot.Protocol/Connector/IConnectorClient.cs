using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Connector;

/// <summary>
/// Bot Connector REST API v3. Every call takes the serviceUrl of the conversation (from the inbound
/// activity or a stored conversation reference). Failures throw <see cref="ConnectorException"/>.
/// </summary>
public interface IConnectorClient
{
    Task<ResourceResponse> SendToConversationAsync(string serviceUrl, string conversationId, Activity activity, CancellationToken cancellationToken);

    Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken);

    Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken);

    Task DeleteActivityAsync(string serviceUrl, string conversationId, string activityId, CancellationToken cancellationToken);

    Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, CancellationToken cancellationToken);

    Task<ChannelAccount> GetConversationMemberAsync(string serviceUrl, string conversationId, string userId, CancellationToken cancellationToken);

    /// <summary>
    /// This client making exactly one HTTP attempt per call, for callers that retry durably themselves (an
    /// outbox): a throttled or failed call comes back at once with <see cref="ConnectorException.RetryAfter"/>
    /// instead of holding the caller through in-process backoffs of up to minutes.
    /// </summary>
    IConnectorClient WithoutRetries();
}
