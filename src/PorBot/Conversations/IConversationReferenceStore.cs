namespace PorBot.Conversations;

/// <summary>
/// Where PorBot can reach people proactively: one row per tenant × conversation × user (user '' for a
/// team or group chat as a whole). Kept fresh by every inbound activity; marked dead when the
/// connector says the bot can no longer post there.
/// </summary>
public interface IConversationReferenceStore
{
    /// <summary>Inserts or refreshes a reference; an upsert also revives a dead one (the bot was reinstalled).</summary>
    Task UpsertAsync(StoredConversationReference reference, CancellationToken cancellationToken);

    /// <summary>Marks every reference to a conversation dead, with the reason (uninstalled, 403 from the connector, …).</summary>
    Task MarkDeadAsync(string conversationId, string reason, CancellationToken cancellationToken);

    Task<StoredConversationReference?> GetAsync(string tenantId, string conversationId, string userAadObjectId, CancellationToken cancellationToken);

    /// <summary>All live references of a tenant, whatever the conversation.</summary>
    Task<IReadOnlyList<StoredConversationReference>> ListLiveByTenantAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>
    /// Where an alert for that tenant's partner goes: the live personal chats of its users, and the team channels
    /// and group chats designated with <c>alerts here</c> (see <see cref="IAlertChannelStore"/>). Other chats and
    /// teams the bot was merely added to are left out: nobody there asked for alerts.
    /// </summary>
    Task<IReadOnlyList<StoredConversationReference>> ListAlertTargetsByTenantAsync(string tenantId, CancellationToken cancellationToken);
}

public sealed record StoredConversationReference
{
    public required string TenantId { get; init; }
    public required string ConversationId { get; init; }

    /// <summary>Empty for the conversation as a whole.</summary>
    public required string UserAadObjectId { get; init; }
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public required string BotId { get; init; }
    public required string ServiceUrl { get; init; }

    /// <summary>The serviceUrl came on an authenticated activity, so the bot's token may be sent there.</summary>
    public required bool ServiceUrlVerified { get; init; }
    public required string ChannelId { get; init; }
    public string? ConversationType { get; init; }
    public string? TeamId { get; init; }

    /// <summary>The team's Entra group id, for reading a channel's messages through Microsoft Graph; null outside teams or when Teams did not send it.</summary>
    public string? TeamAadGroupId { get; init; }
    public bool IsDead { get; init; }
    public string? DeadReason { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
