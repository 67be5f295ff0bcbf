namespace PorBot.Lookups;

/// <summary>
/// The POR registry: who is Partner of Record for which customer subscription, and who the partners
/// are. Adapters: embedded SQLite (default), a remote registry service over HTTP. Every record says
/// where it came from and how fresh it is.
/// </summary>
public interface IPorRegistry
{
    Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken);

    Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken);

    /// <summary>Exact domain, case-insensitive ("contoso.com").</summary>
    Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Customers by name: prefix, word and fuzzy matches, best first.</summary>
    Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken);

    Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken);

    /// <summary>The partner an Entra tenant belongs to (partners.csv tenant_ids): who a user is, for access rules.</summary>
    Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Partners by name: prefix, word and fuzzy matches, best first.</summary>
    Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken);

    /// <summary>Sets (or clears, with a null partner) the POR of a subscription.</summary>
    Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken);
}

public enum PurchaseProgram { EA, EAS, CASA, EES, MOSP, Open, MOSA, CSP }

public enum Product { Office365, Intune, AADP, DynamicsCRMOnline, Azure }

/// <summary>Where a record came from ("sqlite", "registry:https://…") and how fresh it is.</summary>
public sealed record Provenance(string Source, DateTimeOffset UpdatedAt, DateTimeOffset RetrievedAt);

public sealed record SubscriptionRecord(
    Guid SubscriptionId,
    string CustomerName,
    Guid CustomerTenantId,
    string? CustomerDomain,
    PurchaseProgram Program,
    Product Product,
    string? PorPartnerId,
    string? PorPartnerName,
    DateOnly? PorSince,
    Provenance Provenance);

public sealed record PartnerRecord(
    string PartnerId,
    string Name,
    string? Country,
    IReadOnlyList<Guid> TenantIds,
    Provenance Provenance);

/// <summary>A customer found by name, with how many subscriptions it has and how well it matched (higher is better).</summary>
public sealed record CustomerMatch(
    string CustomerName,
    Guid CustomerTenantId,
    string? CustomerDomain,
    int SubscriptionCount,
    double Score);

public sealed record PorChange(Guid SubscriptionId, string? NewPorPartnerId, DateOnly EffectiveFrom, string Reason);
