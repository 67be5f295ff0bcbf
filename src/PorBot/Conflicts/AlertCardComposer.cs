using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;

namespace PorBot.Conflicts;

/// <summary>Who a conflict card is for and which delivered message it is.</summary>
/// <param name="ConflictId">The conflict shown.</param>
/// <param name="ViewerPartnerId">The party whose view this is (actions depend on it: only a claimant can withdraw); null for an operator's read-only view.</param>
/// <param name="DeliveryKey">The id of the outbox row that posted this message; carried in the card so an interrupted send can be recognised later.</param>
/// <param name="RefreshUserIds">User MRIs (29:…) whose view Teams refreshes automatically; empty for none. At most 60 are used.</param>
public sealed record AlertCardRequest(Guid ConflictId, string? ViewerPartnerId, Guid DeliveryKey, IReadOnlyList<string> RefreshUserIds);

/// <summary>A conflict as its cards show it: state, subscription, proofs and the parties' names.</summary>
public sealed record ConflictSnapshot(ConflictState Conflict, SubscriptionRecord? Subscription, IReadOnlyList<ConflictProof> Proofs, IReadOnlyDictionary<string, string> PartnerNames)
{
    public ConflictCardModel Model(AlertCardRequest request) =>
        new(Conflict, Subscription, PartnerNames, Proofs, request.ViewerPartnerId, request.DeliveryKey, request.RefreshUserIds);
}

/// <summary>Builds the current conflict card from the claims store and the registry, for the outbox worker and for card actions.</summary>
public sealed class AlertCardComposer(ClaimService claims, IPorRegistry registry)
{
    private readonly Dictionary<Guid, ConflictSnapshot?> _conflicts = [];
    private readonly Dictionary<string, PartnerRecord?> _partners = new(StringComparer.Ordinal);

    /// <summary>Null when the conflict does not exist. Cached for the composer's lifetime (one delivery pass or one turn); see <see cref="Forget"/>.</summary>
    /// <param name="id">A conflict id (or the id of a claim in it).</param>
    public async Task<ConflictSnapshot?> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        if (_conflicts.TryGetValue(id, out var known)) return known;
        ConflictSnapshot? snapshot = null;
        if (await claims.GetConflictWithProofsAsync(id, cancellationToken) is var (conflict, proofs))
        {
            var subscription = await registry.GetSubscriptionAsync(conflict.SubscriptionId, cancellationToken);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var partnerId in conflict.Claimants.Select(c => c.PartnerId).Append(conflict.CurrentPorPartnerId).Concat(proofs.Select(p => p.PartnerId)).Distinct(StringComparer.Ordinal))
            {
                if (await PartnerAsync(partnerId, cancellationToken) is { } partner) names[partnerId] = partner.Name;
            }

            snapshot = new ConflictSnapshot(conflict, subscription, proofs, names);
        }

        return _conflicts[id] = snapshot;
    }

    /// <summary>After a change made in this turn, the next load reads the conflict again.</summary>
    public void Forget(Guid conflictId)
    {
        foreach (var key in _conflicts.Where(c => c.Key == conflictId || c.Value?.Conflict.ConflictId == conflictId).Select(c => c.Key).ToList()) _conflicts.Remove(key);
    }

    /// <summary>The viewer's card, or null when the conflict no longer exists.</summary>
    public async Task<AdaptiveCard?> ComposeCardAsync(AlertCardRequest request, CardNotice? notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await LoadAsync(request.ConflictId, cancellationToken) is { } snapshot ? AlertCards.Conflict(snapshot.Model(request), notice) : null;
    }

    /// <summary>The card as a message to send or to put in place of one already delivered; null when the conflict no longer exists.</summary>
    public async Task<Activity?> ComposeAsync(AlertCardRequest request, CancellationToken cancellationToken)
    {
        var card = await ComposeCardAsync(request, null, cancellationToken);
        if (card is null) return null;
        // The delivery key rides along as an element id: invisible, valid Adaptive Card, and kept verbatim in the
        // message Teams stores, where the delivery probe looks for it after an interrupted send.
        var carrier = card.Body.FirstOrDefault(e => e.Id is null)
            ?? throw new InvalidOperationException("The alert card has no element that can carry the delivery key.");
        carrier.Id = DeliveryMarker(request.DeliveryKey);
        return new Activity { Type = ActivityTypes.Message, Attachments = [card.ToAttachment()] };
    }

    /// <summary>The text a delivered card contains for <paramref name="deliveryKey"/>.</summary>
    public static string DeliveryMarker(Guid deliveryKey) => $"porbot-delivery-{deliveryKey:D}";

    private async Task<PartnerRecord?> PartnerAsync(string partnerId, CancellationToken cancellationToken)
    {
        if (!_partners.TryGetValue(partnerId, out var partner)) _partners[partnerId] = partner = await registry.GetPartnerAsync(partnerId, cancellationToken);
        return partner;
    }
}
