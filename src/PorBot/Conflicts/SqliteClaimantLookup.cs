using PorBot.Lookups;

namespace PorBot.Conflicts;

/// <summary>Claimants for the lookup access rules: a partner with an active claim on a subscription sees its POR details.</summary>
public sealed class ClaimsClaimantLookup(ClaimService claims) : IClaimantLookup
{
    public Task<IReadOnlySet<Guid>> GetClaimedSubscriptionsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken) =>
        claims.GetActiveClaimsAsync(partnerId, subscriptionIds, cancellationToken);
}
