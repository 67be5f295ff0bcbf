using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using static PorBot.Storage.AzureStorage.AzureRegistrySchema;

namespace PorBot.Storage.AzureStorage;

/// <summary>How a batch of rows went: written, already equal, or kept because Azure had a newer one.</summary>
public sealed record WriteCounts(int Written, int Unchanged, int KeptNewer)
{
    public static WriteCounts operator +(WriteCounts a, WriteCounts b) =>
        new(a.Written + b.Written, a.Unchanged + b.Unchanged, a.KeptNewer + b.KeptNewer);

    public static WriteCounts Zero { get; } = new(0, 0, 0);
}

public sealed record CustomerWriteResult(WriteCounts Subscriptions, int CustomersWritten, IReadOnlyCollection<Guid> MovedFrom);

/// <summary>
/// Writes registry rows, with their keys and name index, into Azure Tables: the migration from SQLite
/// and the sample data use it. A row is written only when Azure does not already have it at the same or
/// a newer <c>UpdatedAt</c>, so running it again writes nothing and never undoes a POR change made in
/// Azure since. Index and key rows are written before the rows they point at, and readers check what a
/// key points at, so an interrupted run leaves nothing that answers wrongly; running it again finishes it.
/// </summary>
public sealed class AzureRegistryWriter(AzureStorageClients clients)
{
    private const int Parallelism = 16;

    private readonly TableClient _customers = clients.Table(AzureTableNames.RegistryCustomers);
    private readonly TableClient _partners = clients.Table(AzureTableNames.RegistryPartners);
    private readonly TableClient _keys = clients.Table(AzureTableNames.RegistryKeys);
    private readonly TableClient _names = clients.Table(AzureTableNames.RegistryNames);

    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        await foreach (var _ in _partners.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken)) return false;
        await foreach (var _ in _customers.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken)) return false;
        return true;
    }

    public async Task<WriteCounts> WritePartnersAsync(IReadOnlyList<PartnerRow> partners, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partners);
        var existing = new ConcurrentDictionary<string, PartnerRow>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(partners, Options(cancellationToken), async (p, ct) =>
        {
            var e = await _partners.GetEntityIfExistsAsync<TableEntity>(PartnerPartition(p.PartnerId), PartnerRowKey, cancellationToken: ct);
            if (e.HasValue) existing[p.PartnerId] = ToPartner(e.Value!);
        });

        var names = new TableWriteBatch(_names, Parallelism);
        var keys = new TableWriteBatch(_keys, Parallelism);
        var rows = new TableWriteBatch(_partners, Parallelism);
        var counts = WriteCounts.Zero;
        foreach (var partner in partners)
        {
            var old = existing.GetValueOrDefault(partner.PartnerId);
            if (old is not null && old.UpdatedAt > partner.UpdatedAt) { counts += new WriteCounts(0, 0, 1); continue; }
            if (old is not null && SamePartner(old, partner)) { counts += new WriteCounts(0, 1, 0); continue; }

            ReplaceNameRows(names, 'p', old?.Name, partner.Name, partner.PartnerId);
            foreach (var tenant in partner.TenantIds) keys.Upsert(KeyRow(PartnerTenantKeyPartition(tenant), KeyTargetRow, partner.PartnerId));
            rows.Upsert(ToEntity(partner));
            counts += new WriteCounts(1, 0, 0);
        }

        await names.FlushAsync(cancellationToken);
        await keys.FlushAsync(cancellationToken);
        await rows.FlushAsync(cancellationToken);
        return counts;
    }

    /// <summary>
    /// Writes customers with all of their subscriptions (the customer's name, domain and count as given).
    /// Returns the counts for subscriptions, how many customers (name, domain, count) changed, and the
    /// tenants a subscription moved away from (the caller knows whether such a customer still exists).
    /// </summary>
    public async Task<CustomerWriteResult> WriteCustomersAsync(IReadOnlyList<CustomerRow> customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var existing = new ConcurrentDictionary<Guid, ExistingCustomer>();
        await Parallel.ForEachAsync(customers, Options(cancellationToken), async (c, ct) => existing[c.TenantId] = await ReadCustomerAsync(c, ct));

        var names = new TableWriteBatch(_names, Parallelism);
        var keys = new TableWriteBatch(_keys, Parallelism);
        var subscriptions = new TableWriteBatch(_customers, Parallelism);
        var summaries = new TableWriteBatch(_customers, Parallelism);
        var counts = WriteCounts.Zero;
        var movedFrom = new HashSet<Guid>();
        var customersWritten = 0;
        foreach (var customer in customers)
        {
            var old = existing[customer.TenantId];
            foreach (var s in customer.Subscriptions)
            {
                if (old.Subscriptions.TryGetValue(s.SubscriptionId, out var stored))
                {
                    if (stored.UpdatedAt > s.UpdatedAt) { counts += new WriteCounts(0, 0, 1); continue; }
                    if (stored == s) { counts += new WriteCounts(0, 1, 0); continue; }
                }

                if (old.MovedFrom.TryGetValue(s.SubscriptionId, out var previousTenant))
                {
                    subscriptions.Delete(Id(previousTenant), SubscriptionRowKey(s.SubscriptionId));
                    movedFrom.Add(previousTenant);
                }

                keys.Upsert(KeyRow(SubscriptionKeyPartition(s.SubscriptionId), KeyTargetRow, Id(customer.TenantId)));
                if (s.CustomerDomain is { Length: > 0 } domain) keys.Upsert(KeyRow(DomainKeyPartition(domain), Id(customer.TenantId)));
                subscriptions.Upsert(ToEntity(s));
                counts += new WriteCounts(1, 0, 0);
            }

            var summary = ToEntity(customer.TenantId, customer.Name, customer.Domain, customer.Subscriptions.Count);
            if (old.Summary is { } current && SameSummary(current, summary)) continue;
            ReplaceNameRows(names, 'c', old.Summary?.GetString("Name"), customer.Name, Id(customer.TenantId));
            summaries.Upsert(summary);
            customersWritten++;
        }

        await names.FlushAsync(cancellationToken);
        await keys.FlushAsync(cancellationToken);
        await subscriptions.FlushAsync(cancellationToken);
        await summaries.FlushAsync(cancellationToken);
        return new CustomerWriteResult(counts, customersWritten, movedFrom);
    }

    /// <summary>Removes a customer that no longer has subscriptions from name search (its partition keeps the change log).</summary>
    public async Task RemoveCustomerAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var summary = await _customers.GetEntityIfExistsAsync<TableEntity>(Id(tenantId), CustomerRowKey, cancellationToken: cancellationToken);
        if (!summary.HasValue) return;
        var names = new TableWriteBatch(_names, Parallelism);
        ReplaceNameRows(names, 'c', summary.Value!.GetString("Name"), null, Id(tenantId));
        await names.FlushAsync(cancellationToken);
        await _customers.DeleteEntityAsync(Id(tenantId), CustomerRowKey, ETag.All, cancellationToken);
    }

    /// <summary>Copies POR change log rows; their keys come from the source ids, so a rerun rewrites the same rows.</summary>
    public async Task<int> WritePorChangesAsync(IReadOnlyList<PorChangeRow> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var batch = new TableWriteBatch(_customers, Parallelism);
        foreach (var change in changes) batch.Upsert(ToEntity(change, "m" + change.Id.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)));
        await batch.FlushAsync(cancellationToken);
        return changes.Count;
    }

    /// <summary>Tells every instance's typo dictionary that names changed.</summary>
    public async Task BumpNamesVersionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var meta = await _names.GetEntityIfExistsAsync<TableEntity>(AzureNameIndex.MetaPartition, AzureNameIndex.MetaRow, cancellationToken: cancellationToken);
            try
            {
                if (!meta.HasValue)
                {
                    await _names.AddEntityAsync(new TableEntity(AzureNameIndex.MetaPartition, AzureNameIndex.MetaRow) { ["Version"] = 1L }, cancellationToken);
                }
                else
                {
                    var entity = meta.Value!;
                    entity["Version"] = (entity.GetInt64("Version") ?? 0) + 1;
                    await _names.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException ex) when (ex.IsConcurrencyConflict())
            {
                // Another writer bumped it first; bump again on top of theirs.
            }
        }
    }

    private sealed record ExistingCustomer(TableEntity? Summary, Dictionary<Guid, SubscriptionRow> Subscriptions, Dictionary<Guid, Guid> MovedFrom);

    private async Task<ExistingCustomer> ReadCustomerAsync(CustomerRow customer, CancellationToken cancellationToken)
    {
        TableEntity? summary = null;
        var subscriptions = new Dictionary<Guid, SubscriptionRow>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {Id(customer.TenantId)} and (RowKey eq {CustomerRowKey} or (RowKey ge {SubscriptionRowPrefix} and RowKey lt {TableKeys.PrefixEnd(SubscriptionRowPrefix)}))");
        await foreach (var e in _customers.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (e.RowKey == CustomerRowKey) summary = e;
            else subscriptions[Guid.Parse(e.GetString("SubscriptionId"))] = ToSubscription(e);
        }

        // A subscription new to this tenant may have been filed under another one before (its tenant changed).
        var movedFrom = new Dictionary<Guid, Guid>();
        foreach (var s in customer.Subscriptions.Where(s => !subscriptions.ContainsKey(s.SubscriptionId)))
        {
            var key = await _keys.GetEntityIfExistsAsync<TableEntity>(SubscriptionKeyPartition(s.SubscriptionId), KeyTargetRow, cancellationToken: cancellationToken);
            if (key.HasValue && Guid.TryParse(key.Value!.GetString("Target"), out var previous) && previous != customer.TenantId) movedFrom[s.SubscriptionId] = previous;
        }

        return new ExistingCustomer(summary, subscriptions, movedFrom);
    }

    private static void ReplaceNameRows(TableWriteBatch names, char kind, string? oldName, string? newName, string key)
    {
        if (oldName is not null && oldName != newName)
        {
            foreach (var row in AzureNameIndex.Rows(kind, oldName, key)) names.Delete(row.PartitionKey, row.RowKey);
        }

        if (newName is null) return;
        foreach (var row in AzureNameIndex.Rows(kind, newName, key)) names.Upsert(row);
        foreach (var term in AzureNameIndex.TermRows(kind, newName)) names.Upsert(term);
    }

    private static bool SamePartner(PartnerRow a, PartnerRow b) =>
        a.UpdatedAt == b.UpdatedAt && a.Name == b.Name && a.Country == b.Country && a.TenantIds.Order().SequenceEqual(b.TenantIds.Order());

    private static bool SameSummary(TableEntity a, TableEntity b) =>
        a.GetString("Name") == b.GetString("Name") && a.GetString("Domain") == b.GetString("Domain") && a.GetInt32("SubscriptionCount") == b.GetInt32("SubscriptionCount");

    private static ParallelOptions Options(CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
}
