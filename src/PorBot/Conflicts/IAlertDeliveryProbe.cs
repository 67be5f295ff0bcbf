using PorBot.Conversations;

namespace PorBot.Conflicts;

/// <summary>
/// Evidence for a post whose outcome is unknown (the process died mid-send, or the connector answered 500 or
/// timed out): is there a message from PorBot in that conversation whose card carries the delivery key? The Bot
/// Connector can neither read messages back nor deduplicate, so the answer has to come from elsewhere (Graph).
/// </summary>
public interface IAlertDeliveryProbe
{
    /// <param name="place">Where the card was posted.</param>
    /// <param name="deliveryKey">The outbox row id the card carries (<see cref="AlertCardComposer.DeliveryMarker"/>).</param>
    /// <param name="since">No earlier message can be the one looked for.</param>
    Task<DeliveryEvidence> FindAsync(StoredConversationReference place, Guid deliveryKey, DateTimeOffset since, CancellationToken cancellationToken);
}

public abstract record DeliveryEvidence
{
    private DeliveryEvidence() { }

    /// <summary>The card is there: <paramref name="ActivityId"/> is its id for later updates in place.</summary>
    public sealed record Found(string ActivityId) : DeliveryEvidence;

    /// <summary>Every message since the send was read and none carries the key.</summary>
    public sealed record NotFound : DeliveryEvidence;

    /// <param name="Reason">What an operator needs to know (shown in <c>alerts status</c>).</param>
    /// <param name="Transient">Asking again later may work (throttled, unreachable); otherwise only a person can settle it.</param>
    public sealed record CannotTell(string Reason, bool Transient) : DeliveryEvidence;
}

/// <summary>Without Microsoft Graph nothing can be checked: every unknown post is held for an operator.</summary>
public sealed class NoAlertDeliveryProbe : IAlertDeliveryProbe
{
    public const string Reason = "Graph is off: PorBot cannot read the conversation to check whether the card arrived (set Graph:Enabled=true, see README)";

    public Task<DeliveryEvidence> FindAsync(StoredConversationReference place, Guid deliveryKey, DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult<DeliveryEvidence>(new DeliveryEvidence.CannotTell(Reason, Transient: false));
}
