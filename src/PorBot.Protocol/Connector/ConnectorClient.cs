using Microsoft.Extensions.Logging;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Auth;

namespace PorBot.Protocol.Connector;

// STUB: to be implemented (helper "connector").
public sealed class ConnectorClient(
    HttpClient httpClient,
    IBotTokenProvider tokenProvider,
    ServiceUrlTrust serviceUrlTrust,
    ILogger<ConnectorClient> logger) : IConnectorClient
{
    public Task<ResourceResponse> SendToConversationAsync(string serviceUrl, string conversationId, Activity activity, CancellationToken cancellationToken) =>
        throw new NotImplementedException($"{httpClient}{tokenProvider}{serviceUrlTrust}{logger}");

    public Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task DeleteActivityAsync(string serviceUrl, string conversationId, string activityId, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<ChannelAccount> GetConversationMemberAsync(string serviceUrl, string conversationId, string userId, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
