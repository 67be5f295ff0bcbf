using Microsoft.Extensions.Options;

namespace PorBot.Lookups;

public enum CallerRole
{
    /// <summary>The user's tenant is not linked to any partner: guidance only, no registry data at all.</summary>
    Unmapped,

    /// <summary>A user of a partner organisation: full POR details only where that partner is POR or a claimant.</summary>
    Partner,

    /// <summary>Listed in <c>PorBot:Operators</c>: sees everything.</summary>
    Operator,
}

/// <summary>Who is asking, as the access rules see it. <see cref="Partner"/> is set whenever the tenant is mapped, operators included.</summary>
public sealed record LookupCaller(CallerRole Role, PartnerRecord? Partner, string? TenantId)
{
    /// <summary>Listed in <c>PorBot:PartnerAdmins</c> and in a tenant of a registered partner (<see cref="Partner"/> is set).</summary>
    public bool IsPartnerAdmin { get; init; }

    public bool MaySeeRegistry => Role != CallerRole.Unmapped;

    public bool IsPartner(string? partnerId) =>
        Partner is not null && partnerId is not null && string.Equals(Partner.PartnerId, partnerId, StringComparison.Ordinal);
}

public enum PorStatus
{
    /// <summary>No partner is listed as POR.</summary>
    NoneListed,

    /// <summary>A partner is listed and the caller may see who (and since when).</summary>
    ListedVisible,

    /// <summary>A partner is listed but the caller may not learn who: the record's POR fields are blanked.</summary>
    ListedHidden,
}

/// <summary>
/// A subscription as one caller may see it. For <see cref="PorStatus.ListedHidden"/> the POR id, name and
/// date are removed from <see cref="Subscription"/> itself, so no card can show them by mistake.
/// </summary>
public sealed record SubscriptionView(SubscriptionRecord Subscription, PorStatus Status, bool CallerIsPor, bool CallerIsClaimant);

/// <summary>
/// The lookup access rules (issue 4): the user's tenant maps to a partner; a partner sees who the POR is
/// only for subscriptions where it is the POR or a claimant, and otherwise only whether some partner is
/// listed; operators (by Entra object id) see everything; unmapped tenants see no registry data.
/// Customer facts (name, domain, program, product, subscription ids) are visible to every mapped partner.
/// </summary>
public sealed class LookupAccessPolicy(IPorRegistry registry, IClaimantLookup claimants, IOptions<LookupOptions> options)
{
    private readonly IReadOnlySet<Guid> _operators = options.Value.OperatorIds;
    private readonly IReadOnlySet<Guid> _partnerAdmins = options.Value.PartnerAdminIds;

    public async Task<LookupCaller> IdentifyAsync(string? tenantId, string? userAadObjectId, CancellationToken cancellationToken)
    {
        var partner = Guid.TryParse(tenantId, out var tenant)
            ? await registry.GetPartnerByTenantAsync(tenant, cancellationToken)
            : null;
        var knownUser = Guid.TryParse(userAadObjectId, out var user);
        var isOperator = knownUser && _operators.Contains(user);
        var role = isOperator ? CallerRole.Operator : partner is null ? CallerRole.Unmapped : CallerRole.Partner;
        // An admin's object id vouches for nothing outside a partner's own tenant.
        return new LookupCaller(role, partner, tenantId) { IsPartnerAdmin = knownUser && partner is not null && _partnerAdmins.Contains(user) };
    }

    public async Task<IReadOnlyList<SubscriptionView>> ViewAsync(LookupCaller caller, IReadOnlyList<SubscriptionRecord> subscriptions, CancellationToken cancellationToken)
    {
        if (!caller.MaySeeRegistry) throw new InvalidOperationException("A caller from an unmapped tenant may not see registry data.");

        IReadOnlySet<Guid> claimed = new HashSet<Guid>();
        if (caller.Partner is { } partner && subscriptions.Count > 0)
        {
            var ids = new Guid[subscriptions.Count];
            for (var i = 0; i < ids.Length; i++) ids[i] = subscriptions[i].SubscriptionId;
            claimed = await claimants.GetClaimedSubscriptionsAsync(partner.PartnerId, ids, cancellationToken);
        }

        var views = new List<SubscriptionView>(subscriptions.Count);
        foreach (var s in subscriptions) views.Add(View(caller, s, claimed.Contains(s.SubscriptionId)));
        return views;
    }

    private static SubscriptionView View(LookupCaller caller, SubscriptionRecord s, bool isClaimant)
    {
        var isPor = caller.IsPartner(s.PorPartnerId);
        if (s.PorPartnerId is null) return new SubscriptionView(s with { PorPartnerName = null, PorSince = null }, PorStatus.NoneListed, false, isClaimant);
        if (caller.Role == CallerRole.Operator || isPor || isClaimant) return new SubscriptionView(s, PorStatus.ListedVisible, isPor, isClaimant);
        return new SubscriptionView(s with { PorPartnerId = null, PorPartnerName = null, PorSince = null }, PorStatus.ListedHidden, false, false);
    }
}
