using PorBot.Lookups;
using PorBot.Protocol.Activities;

namespace PorBot.Conflicts;

/// <summary>Who a conflict card is for and which delivered message it is.</summary>
/// <param name="ConflictId">The conflict shown.</param>
/// <param name="ViewerPartnerId">The party whose conversation gets the card (actions depend on it: only a claimant can withdraw).</param>
/// <param name="DeliveryKey">The id of the outbox row that posted this message; carried in the card so an interrupted send can be recognised later.</param>
/// <param name="RefreshUserIds">User MRIs (29:…) whose view Teams refreshes automatically; empty for none.</param>
public sealed record AlertCardRequest(Guid ConflictId, string ViewerPartnerId, Guid DeliveryKey, IReadOnlyList<string> RefreshUserIds);

/// <summary>Builds the current conflict card from the claims store and the registry, for the outbox worker and for card actions.</summary>
public sealed class AlertCardComposer(ClaimService claims, IPorRegistry registry)
{
    private readonly Dictionary<Guid, (ConflictState? Conflict, SubscriptionRecord? Subscription)> _conflicts = [];
    private readonly Dictionary<string, PartnerRecord?> _partners = new(StringComparer.Ordinal);

    /// <summary>Null when the conflict no longer exists. State is cached for the composer's lifetime (one delivery pass or one turn).</summary>
    public async Task<Activity?> ComposeAsync(AlertCardRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_conflicts.TryGetValue(request.ConflictId, out var known))
        {
            var conflict = await claims.GetConflictAsync(request.ConflictId, cancellationToken);
            var subscription = conflict is null ? null : await registry.GetSubscriptionAsync(conflict.SubscriptionId, cancellationToken);
            _conflicts[request.ConflictId] = known = (conflict, subscription);
        }

        if (known.Conflict is not { } state) return null;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in state.Claimants.Select(c => c.PartnerId).Append(state.CurrentPorPartnerId).Distinct(StringComparer.Ordinal))
        {
            if (await PartnerAsync(id, cancellationToken) is { } partner) names[id] = partner.Name;
        }

        var card = AlertCards.Conflict(state, known.Subscription, names);
        // The delivery key rides along as an element id: invisible, valid Adaptive Card, and kept verbatim in the
        // message Teams stores, where the delivery probe looks for it after an interrupted send.
        var carrier = card.Body.FirstOrDefault(e => e.Id is null)
            ?? throw new InvalidOperationException("The alert card has no element that can carry the delivery key.");
        carrier.Id = DeliveryMarker(request.DeliveryKey);
        return new Activity { Type = ActivityTypes.Message, Attachments = [card.ToAttachment()] };
    }

    /// <summary>The text a delivered card contains for <paramref name="deliveryKey"/>.</summary>
    public static string DeliveryMarker(Guid deliveryKey) => $"porbot-delivery-{deliveryKey:D}";

    public async Task<PartnerRecord?> PartnerAsync(string partnerId, CancellationToken cancellationToken)
    {
        if (!_partners.TryGetValue(partnerId, out var partner)) _partners[partnerId] = partner = await registry.GetPartnerAsync(partnerId, cancellationToken);
        return partner;
    }
}
