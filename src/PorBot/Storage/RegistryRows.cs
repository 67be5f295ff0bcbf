using PorBot.Lookups;

namespace PorBot.Storage;

/// <summary>Registry rows as they are copied between stores (migration, sample data), times included.</summary>
public sealed record PartnerRow(string PartnerId, string Name, string? Country, IReadOnlyList<Guid> TenantIds, DateTimeOffset UpdatedAt);

public sealed record SubscriptionRow(
    Guid SubscriptionId,
    string CustomerName,
    Guid CustomerTenantId,
    string? CustomerDomain,
    PurchaseProgram Program,
    Product Product,
    string? PorPartnerId,
    DateOnly? PorSince,
    DateTimeOffset UpdatedAt);

/// <summary>A customer (one Entra tenant) as name search shows it, with all of its subscriptions.</summary>
public sealed record CustomerRow(Guid TenantId, string Name, string? Domain, IReadOnlyList<SubscriptionRow> Subscriptions);

public sealed record PorChangeRow(long Id, Guid SubscriptionId, Guid CustomerTenantId, string? OldPartnerId, string? NewPartnerId, DateOnly EffectiveFrom, string Reason, DateTimeOffset RecordedAt);
