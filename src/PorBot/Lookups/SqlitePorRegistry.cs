using System.Globalization;
using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Lookups;

/// <summary>
/// The embedded registry. FIRST CUT: exact lookups use indexes; name search is a plain LIKE scan
/// (to be replaced by FTS5 ranking).
/// </summary>
public sealed class SqlitePorRegistry(SqliteDatabase database, TimeProvider time) : IPorRegistry
{
    public const string SourceName = "sqlite";

    private const string SelectSubscription = """
        SELECT s.subscription_id, s.customer_name, s.customer_tenant_id, s.customer_domain, s.program, s.product,
               s.por_partner_id, p.name, s.por_since, s.updated_at
        FROM subscriptions s LEFT JOIN partners p ON p.partner_id = s.por_partner_id
        """;

    public async Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken) =>
        (await QuerySubscriptionsAsync($"{SelectSubscription} WHERE s.subscription_id = $v", Id(subscriptionId), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) =>
        QuerySubscriptionsAsync($"{SelectSubscription} WHERE s.customer_tenant_id = $v ORDER BY s.product, s.subscription_id", Id(customerTenantId), cancellationToken);

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken) =>
        QuerySubscriptionsAsync($"{SelectSubscription} WHERE s.customer_domain = $v COLLATE NOCASE ORDER BY s.product, s.subscription_id", domain.Trim(), cancellationToken);

    public async Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("""
                SELECT customer_name, customer_tenant_id, min(customer_domain), count(*),
                       CASE WHEN customer_name LIKE $prefix THEN 2 ELSE 1 END AS score
                FROM subscriptions WHERE customer_name LIKE $contains
                GROUP BY customer_tenant_id ORDER BY score DESC, customer_name LIMIT $limit
                """)
            .With("$prefix", query.Trim() + "%").With("$contains", "%" + query.Trim() + "%").With("$limit", limit)
            .ExecuteReaderAsync(cancellationToken);
        var matches = new List<CustomerMatch>();
        while (await reader.ReadAsync(cancellationToken))
        {
            matches.Add(new CustomerMatch(reader.GetString(0), Guid.Parse(reader.GetString(1)), reader.GetNullableString(2), reader.GetInt32(3), reader.GetInt32(4)));
        }

        return matches;
    }

    public async Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken) =>
        (await QueryPartnersAsync("WHERE p.partner_id = $v", partnerId.Trim(), cancellationToken)).SingleOrDefault();

    public async Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken) =>
        (await QueryPartnersAsync("WHERE p.partner_id = (SELECT partner_id FROM partner_tenants WHERE tenant_id = $v)", Id(tenantId), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken) =>
        QueryPartnersAsync($"WHERE p.name LIKE $v ORDER BY p.name LIMIT {limit.ToString(CultureInfo.InvariantCulture)}", "%" + query.Trim() + "%", cancellationToken);

    public async Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await connection.Command("""
                UPDATE subscriptions SET por_partner_id = $partner, por_since = $since, updated_at = $now WHERE subscription_id = $id
                """)
            .With("$partner", change.NewPorPartnerId)
            .With("$since", change.NewPorPartnerId is null ? null : change.EffectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .With("$now", time.GetUtcNow().ToDbTime()).With("$id", Id(change.SubscriptionId))
            .ExecuteNonQueryAsync(cancellationToken);
        if (updated == 0) throw new KeyNotFoundException($"Subscription {change.SubscriptionId} is not in the registry.");
    }

    // GUIDs are stored as lower-case 'D' text, as the import writes them.
    private static string Id(Guid id) => id.ToString("D");

    private async Task<IReadOnlyList<SubscriptionRecord>> QuerySubscriptionsAsync(string sql, object value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command(sql).With("$v", value).ExecuteReaderAsync(cancellationToken);
        var now = time.GetUtcNow();
        var list = new List<SubscriptionRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new SubscriptionRecord(
                Guid.Parse(reader.GetString(0)),
                reader.GetString(1),
                Guid.Parse(reader.GetString(2)),
                reader.GetNullableString(3),
                Enum.Parse<PurchaseProgram>(reader.GetString(4), ignoreCase: true),
                Enum.Parse<Product>(reader.GetString(5), ignoreCase: true),
                reader.GetNullableString(6),
                reader.GetNullableString(7),
                reader.GetNullableString(8) is { } since ? DateOnly.Parse(since, CultureInfo.InvariantCulture) : null,
                new Provenance(SourceName, SqliteExtensions.FromDbTime(reader.GetString(9)), now)));
        }

        return list;
    }

    private async Task<IReadOnlyList<PartnerRecord>> QueryPartnersAsync(string where, object value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"""
                SELECT p.partner_id, p.name, p.country, p.updated_at,
                       (SELECT group_concat(t.tenant_id, ';') FROM partner_tenants t WHERE t.partner_id = p.partner_id)
                FROM partners p {where}
                """).With("$v", value).ExecuteReaderAsync(cancellationToken);
        var now = time.GetUtcNow();
        var list = new List<PartnerRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var tenants = reader.GetNullableString(4)?.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList() ?? [];
            list.Add(new PartnerRecord(reader.GetString(0), reader.GetString(1), reader.GetNullableString(2), tenants,
                new Provenance(SourceName, SqliteExtensions.FromDbTime(reader.GetString(3)), now)));
        }

        return list;
    }
}

public static class LookupsRegistryExtensions
{
    /// <summary>The registry adapter (embedded SQLite; the remote adapter is selected by configuration once it exists).</summary>
    public static IServiceCollection AddPorRegistry(this IServiceCollection services)
    {
        services.AddSingleton<IPorRegistry, SqlitePorRegistry>();
        return services;
    }
}
