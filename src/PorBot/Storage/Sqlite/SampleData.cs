using System.Globalization;

namespace PorBot.Storage.Sqlite;

/// <summary>Writes <see cref="SampleRegistry"/> into an empty SQLite registry.</summary>
public sealed class SampleData(SqliteDatabase database, ILogger<SampleData> logger)
{
    public async Task SeedIfEmptyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var existing = (long)(await connection.Command("SELECT count(*) FROM partners").ExecuteScalarAsync(cancellationToken))!;
        if (existing > 0) return;

        var now = DateTimeOffset.UtcNow;
        var partners = SampleRegistry.Partners(now);
        var subscriptions = SampleRegistry.Subscriptions(now);
        await using var transaction = connection.BeginTransaction();
        foreach (var partner in partners)
        {
            await connection.Command("INSERT INTO partners (partner_id, name, country, updated_at) VALUES ($id, $name, $country, $now)", transaction)
                .With("$id", partner.PartnerId).With("$name", partner.Name).With("$country", partner.Country).With("$now", now.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
            foreach (var tenant in partner.TenantIds)
            {
                await connection.Command("INSERT INTO partner_tenants (tenant_id, partner_id) VALUES ($tenant, $id)", transaction)
                    .With("$tenant", tenant.ToString("D")).With("$id", partner.PartnerId).ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var s in subscriptions)
        {
            await connection.Command("""
                INSERT INTO subscriptions (subscription_id, customer_name, customer_tenant_id, customer_domain, program, product, por_partner_id, por_since, updated_at)
                VALUES ($id, $customer, $tenant, $domain, $program, $product, $por, $since, $now)
                """, transaction)
                .With("$id", s.SubscriptionId.ToString("D")).With("$customer", s.CustomerName).With("$tenant", s.CustomerTenantId.ToString("D"))
                .With("$domain", s.CustomerDomain).With("$program", s.Program.ToString()).With("$product", s.Product.ToString())
                .With("$por", s.PorPartnerId).With("$since", s.PorSince?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).With("$now", now.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Seeded sample data: {Partners} partners, {Subscriptions} subscriptions", partners.Count, subscriptions.Count);
    }
}
