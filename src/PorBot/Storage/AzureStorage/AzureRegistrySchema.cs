using System.Globalization;
using Azure.Data.Tables;
using PorBot.Lookups;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Where the registry lives in Azure Tables, and how rows map to records.
/// <list type="bullet">
/// <item><c>RegistryCustomers</c>, one partition per customer tenant: row <c>customer</c> (name, domain,
/// subscription count), rows <c>sub|&lt;id&gt;</c> (the subscriptions) and <c>chg|&lt;id&gt;|…</c> (their POR
/// change log). A POR change and its log row are one entity group transaction.</item>
/// <item><c>RegistryPartners</c>: one row per partner, its tenants listed in the row.</item>
/// <item><c>RegistryKeys</c>: <c>s|&lt;subscription&gt;</c> → tenant, <c>d|&lt;domain&gt;</c> → tenants,
/// <c>t|&lt;partner tenant&gt;</c> → partner. Readers check what a key points at, so a stale key never gives a wrong answer.</item>
/// <item><c>RegistryNames</c>: the name search index (<see cref="AzureNameIndex"/>).</item>
/// </list>
/// GUIDs are lower-case 'D' text, as in SQLite.
/// </summary>
internal static class AzureRegistrySchema
{
    public const string CustomerRowKey = "customer";
    public const string SubscriptionRowPrefix = "sub|";
    public const string ChangeRowPrefix = "chg|";
    public const string PartnerRowKey = "partner";
    public const string KeyTargetRow = "target";

    public static string Id(Guid id) => id.ToString("D");

    public static string SubscriptionRowKey(Guid subscriptionId) => SubscriptionRowPrefix + Id(subscriptionId);

    public static string SubscriptionKeyPartition(Guid subscriptionId) => "s|" + Id(subscriptionId);

    public static string DomainKeyPartition(string domain) => "d|" + TableKeys.Escape(NormalizeDomain(domain));

    public static string PartnerTenantKeyPartition(Guid tenantId) => "t|" + Id(tenantId);

    public static string PartnerPartition(string partnerId) => TableKeys.Escape(partnerId);

    public static string NormalizeDomain(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Sorts by time recorded; the id or a random suffix keeps two changes in one tick apart.</summary>
    public static string ChangeRowKey(Guid subscriptionId, DateTimeOffset recordedAt, string unique) =>
        $"{ChangeRowPrefix}{Id(subscriptionId)}|{recordedAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{unique}";

    public static TableEntity ToEntity(SubscriptionRow s) => new(Id(s.CustomerTenantId), SubscriptionRowKey(s.SubscriptionId))
    {
        ["SubscriptionId"] = Id(s.SubscriptionId),
        ["CustomerName"] = s.CustomerName,
        ["CustomerTenantId"] = Id(s.CustomerTenantId),
        ["CustomerDomain"] = s.CustomerDomain,
        ["Program"] = s.Program.ToString(),
        ["Product"] = s.Product.ToString(),
        ["PorPartnerId"] = s.PorPartnerId,
        ["PorSince"] = s.PorSince?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["UpdatedAt"] = s.UpdatedAt,
    };

    public static SubscriptionRow ToSubscription(TableEntity e) => new(
        Guid.Parse(e.GetString("SubscriptionId")),
        e.GetString("CustomerName"),
        Guid.Parse(e.GetString("CustomerTenantId")),
        e.GetString("CustomerDomain"),
        Enum.Parse<PurchaseProgram>(e.GetString("Program"), ignoreCase: true),
        Enum.Parse<Product>(e.GetString("Product"), ignoreCase: true),
        e.GetString("PorPartnerId"),
        e.GetString("PorSince") is { } since ? DateOnly.ParseExact(since, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        e.GetDateTimeOffset("UpdatedAt") ?? default);

    public static TableEntity ToEntity(Guid tenantId, string name, string? domain, int subscriptionCount) => new(Id(tenantId), CustomerRowKey)
    {
        ["Name"] = name,
        ["Domain"] = domain,
        ["SubscriptionCount"] = subscriptionCount,
    };

    public static TableEntity ToEntity(PartnerRow p) => new(PartnerPartition(p.PartnerId), PartnerRowKey)
    {
        ["PartnerId"] = p.PartnerId,
        ["Name"] = p.Name,
        ["Country"] = p.Country,
        ["TenantIds"] = string.Join(';', p.TenantIds.Select(Id)),
        ["UpdatedAt"] = p.UpdatedAt,
    };

    public static PartnerRow ToPartner(TableEntity e) => new(
        e.GetString("PartnerId"),
        e.GetString("Name"),
        e.GetString("Country"),
        (e.GetString("TenantIds") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).Order().ToList(),
        e.GetDateTimeOffset("UpdatedAt") ?? default);

    public static TableEntity ToEntity(PorChangeRow c, string unique) => new(Id(c.CustomerTenantId), ChangeRowKey(c.SubscriptionId, c.RecordedAt, unique))
    {
        ["SubscriptionId"] = Id(c.SubscriptionId),
        ["OldPartnerId"] = c.OldPartnerId,
        ["NewPartnerId"] = c.NewPartnerId,
        ["EffectiveFrom"] = c.EffectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["Reason"] = c.Reason,
        ["RecordedAt"] = c.RecordedAt,
    };

    public static TableEntity KeyRow(string partition, string row, string? target = null) => target is null
        ? new TableEntity(partition, row)
        : new TableEntity(partition, row) { ["Target"] = target };
}
