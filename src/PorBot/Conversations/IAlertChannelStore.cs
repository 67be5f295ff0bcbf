namespace PorBot.Conversations;

/// <summary>
/// The team channels and group chats a partner chose for its conflict alerts (<c>alerts here</c>). Personal
/// chats need no designation; any other conversation gets alerts only once designated.
/// </summary>
public interface IAlertChannelStore
{
    /// <summary>Designates a conversation, or refreshes who designated it and when.</summary>
    Task DesignateAsync(AlertChannel channel, CancellationToken cancellationToken);

    /// <returns>False when the conversation was not designated.</returns>
    Task<bool> RemoveAsync(string tenantId, string conversationId, CancellationToken cancellationToken);

    Task<AlertChannel?> GetAsync(string tenantId, string conversationId, CancellationToken cancellationToken);

    /// <summary>Every designated conversation of one tenant, in one read: what an alert fan-out checks its references against.</summary>
    Task<IReadOnlyList<AlertChannel>> ListByTenantAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Designated conversations with whether the bot can still post there.</summary>
    /// <param name="partnerId">Only this partner's; null for all.</param>
    Task<IReadOnlyList<AlertChannelState>> ListAsync(string? partnerId, CancellationToken cancellationToken);
}

/// <param name="ConversationId">The channel or chat itself (for a channel, without a thread's <c>;messageid=</c>).</param>
/// <param name="DisplayName">"Team / channel" when Teams sent the names.</param>
/// <param name="DesignatedBy">Entra object id of whoever typed <c>alerts here</c>.</param>
public sealed record AlertChannel(
    string TenantId,
    string ConversationId,
    string PartnerId,
    string? ConversationType,
    string? DisplayName,
    string DesignatedBy,
    DateTimeOffset DesignatedAt);

/// <param name="Reachable">The bot is still in the conversation (its reference is live).</param>
public sealed record AlertChannelState(AlertChannel Channel, bool Reachable);
