using System.Globalization;
using Azure;
using Azure.Data.Tables;
using PorBot.Lookups;
using static PorBot.Storage.AzureStorage.AzureRegistrySchema;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// The POR registry in Azure Tables (layout: <see cref="AzureRegistrySchema"/>). Exact lookups are point
/// reads and single-partition queries; name search is <see cref="AzureNameIndex"/>'s range scans, ranked
/// as the SQLite registry ranks (exact name &gt; name prefix &gt; word prefix &gt; substring &gt; typo).
/// POR changes are written with the subscription row's ETag, so two instances changing one subscription
/// at once both land, in some order, each logged with the partner it really replaced.
/// </summary>
public sealed class AzureTablePorRegistry(AzureStorageClients clients, TimeProvider time) : IPorRegistry
{
    public const string SourceName = "azure-tables";

    /// <summary>Upper bound on results per search, whatever the caller asks for.</summary>
    public const int MaxSearchResults = 100;

    private const int CandidatesPerStage = 100;
    private const int CorrectionsPerWord = 8;
    private const int MaxPorChangeAttempts = 5;

    private readonly TableClient _customers = clients.Table(AzureTableNames.RegistryCustomers);
    private readonly TableClient _partners = clients.Table(AzureTableNames.RegistryPartners);
    private readonly TableClient _keys = clients.Table(AzureTableNames.RegistryKeys);
    private readonly TableClient _names = clients.Table(AzureTableNames.RegistryNames);
    private readonly AzureTermCache _terms = new(clients.Table(AzureTableNames.RegistryNames));

    public async Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        var row = await ReadSubscriptionAsync(subscriptionId, cancellationToken);
        return row is null ? null : (await ToRecordsAsync([row.Value.Row], cancellationToken))[0];
    }

    public async Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) =>
        await ToRecordsAsync(await ReadTenantSubscriptionsAsync(customerTenantId, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var normalized = NormalizeDomain(domain);
        if (normalized.Length == 0) return [];
        var tenants = new List<Guid>();
        await foreach (var key in _keys.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {DomainKeyPartition(normalized)}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (Guid.TryParse(key.RowKey, out var tenant)) tenants.Add(tenant);
        }

        var perTenant = await Task.WhenAll(tenants.Select(t => ReadTenantSubscriptionsAsync(t, cancellationToken)));
        var rows = perTenant.SelectMany(r => r)
            .Where(s => s.CustomerDomain is not null && NormalizeDomain(s.CustomerDomain) == normalized)
            .ToList();
        return await ToRecordsAsync(rows, cancellationToken);
    }

    public async Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        var hits = await SearchNamesAsync('c', query, Math.Min(limit, MaxSearchResults), cancellationToken);
        var customers = await Task.WhenAll(hits.Select(async h =>
        {
            if (!Guid.TryParse(h.Key, out var tenant)) return null;
            var summary = await _customers.GetEntityIfExistsAsync<TableEntity>(Id(tenant), CustomerRowKey, cancellationToken: cancellationToken);
            // A name the index still has but the customer no longer carries (a rename half written) is not shown.
            if (!summary.HasValue || summary.Value!.GetString("Name") != h.Name) return null;
            var e = summary.Value;
            return new CustomerMatch(e.GetString("Name"), tenant, e.GetString("Domain"), e.GetInt32("SubscriptionCount") ?? 0, h.Score);
        }));
        return customers.OfType<CustomerMatch>().ToList();
    }

    public async Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partnerId);
        var id = partnerId.Trim();
        return id.Length == 0 ? null : ToRecord(await ReadPartnerAsync(id, cancellationToken));
    }

    public async Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var key = await _keys.GetEntityIfExistsAsync<TableEntity>(PartnerTenantKeyPartition(tenantId), KeyTargetRow, cancellationToken: cancellationToken);
        if (!key.HasValue || key.Value!.GetString("Target") is not { } partnerId) return null;
        var partner = await ReadPartnerAsync(partnerId, cancellationToken);
        return partner is not null && partner.TenantIds.Contains(tenantId) ? ToRecord(partner) : null;
    }

    public async Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        var hits = await SearchNamesAsync('p', query, Math.Min(limit, MaxSearchResults), cancellationToken);
        var partners = await Task.WhenAll(hits.Select(h => ReadPartnerAsync(h.Key, cancellationToken)));
        return hits.Zip(partners)
            .Where(p => p.Second is not null && p.Second.Name == p.First.Name)
            .Select(p => ToRecord(p.Second)!)
            .ToList();
    }

    public async Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var newPartner = string.IsNullOrWhiteSpace(change.NewPorPartnerId) ? null : change.NewPorPartnerId.Trim();
        if (await ReadSubscriptionAsync(change.SubscriptionId, cancellationToken) is null)
        {
            throw new KeyNotFoundException($"Subscription {change.SubscriptionId} is not in the registry.");
        }

        if (newPartner is not null && await ReadPartnerAsync(newPartner, cancellationToken) is null)
        {
            throw new KeyNotFoundException($"Partner {newPartner} is not in the registry.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadSubscriptionAsync(change.SubscriptionId, cancellationToken)
                ?? throw new KeyNotFoundException($"Subscription {change.SubscriptionId} is not in the registry.");
            var now = time.GetUtcNow();
            var updated = current.Row with { PorPartnerId = newPartner, PorSince = newPartner is null ? null : change.EffectiveFrom, UpdatedAt = now };
            var log = new PorChangeRow(0, change.SubscriptionId, current.Row.CustomerTenantId, current.Row.PorPartnerId, newPartner, change.EffectiveFrom, change.Reason, now);
            try
            {
                await _customers.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, ToEntity(updated), current.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, ToEntity(log, Guid.NewGuid().ToString("N"))),
                ], cancellationToken);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412 && attempt < MaxPorChangeAttempts)
            {
                // Another instance changed this subscription since it was read: read it again and reapply.
            }
        }
    }

    private async Task<(SubscriptionRow Row, ETag ETag)?> ReadSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        var key = await _keys.GetEntityIfExistsAsync<TableEntity>(SubscriptionKeyPartition(subscriptionId), KeyTargetRow, cancellationToken: cancellationToken);
        if (!key.HasValue || key.Value!.GetString("Target") is not { } tenant) return null;
        var row = await _customers.GetEntityIfExistsAsync<TableEntity>(tenant, SubscriptionRowKey(subscriptionId), cancellationToken: cancellationToken);
        return row.HasValue ? (ToSubscription(row.Value!), row.Value!.ETag) : null;
    }

    private async Task<List<SubscriptionRow>> ReadTenantSubscriptionsAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {Id(tenantId)} and RowKey ge {SubscriptionRowPrefix} and RowKey lt {TableKeys.PrefixEnd(SubscriptionRowPrefix)}");
        var rows = new List<SubscriptionRow>();
        await foreach (var e in _customers.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) rows.Add(ToSubscription(e));
        return rows;
    }

    private async Task<PartnerRow?> ReadPartnerAsync(string partnerId, CancellationToken cancellationToken)
    {
        var e = await _partners.GetEntityIfExistsAsync<TableEntity>(PartnerPartition(partnerId), PartnerRowKey, cancellationToken: cancellationToken);
        return e.HasValue ? ToPartner(e.Value!) : null;
    }

    private PartnerRecord? ToRecord(PartnerRow? p) =>
        p is null ? null : new PartnerRecord(p.PartnerId, p.Name, p.Country, p.TenantIds, new Provenance(SourceName, p.UpdatedAt, time.GetUtcNow()));

    // The POR partner's name comes from its own row (read once per distinct partner), as SQLite's join does.
    private async Task<IReadOnlyList<SubscriptionRecord>> ToRecordsAsync(IReadOnlyList<SubscriptionRow> rows, CancellationToken cancellationToken)
    {
        var partnerIds = rows.Select(r => r.PorPartnerId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var partners = await Task.WhenAll(partnerIds.Select(id => ReadPartnerAsync(id, cancellationToken)));
        var names = partnerIds.Zip(partners).Where(p => p.Second is not null).ToDictionary(p => p.First, p => p.Second!.Name, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        return rows
            .OrderBy(r => r.Product.ToString(), StringComparer.Ordinal).ThenBy(r => Id(r.SubscriptionId), StringComparer.Ordinal)
            .Select(r => new SubscriptionRecord(r.SubscriptionId, r.CustomerName, r.CustomerTenantId, r.CustomerDomain, r.Program, r.Product,
                r.PorPartnerId, r.PorPartnerId is null ? null : names.GetValueOrDefault(r.PorPartnerId), r.PorSince,
                new Provenance(SourceName, r.UpdatedAt, now)))
            .ToList();
    }

    private readonly record struct Hit(string Key, string Name, double Score);

    /// <summary>
    /// The stages of the SQLite search, as range scans: whole-name prefix (alphabetical), word prefixes
    /// of every query word, a substring inside one word (while the page is not full of better matches),
    /// then words within a typo or two of the indexed terms. Every candidate is scored on its real name.
    /// </summary>
    private async Task<IReadOnlyList<Hit>> SearchNamesAsync(char kind, string query, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var text = NameText.CollapseWhitespace(query);
        var tokens = NameText.Tokens(text);
        if (limit <= 0 || tokens.Count == 0 || text.Length > 200) return [];

        var scored = new ScoredQuery(text, tokens);
        var hits = new Dictionary<string, Hit>(StringComparer.Ordinal);
        await CollectAsync(scored, hits, [AzureNameIndex.PrefixFilter(kind, 'n', AzureNameIndex.NameKey(tokens))], Math.Max(limit, 20), cancellationToken);

        // One-letter words would expand to a large share of the index, so they are left to the scoring.
        var words = tokens.Where(t => t.Length >= 2).Distinct(StringComparer.Ordinal).ToList();
        await CollectAsync(scored, hits, words.Select(w => AzureNameIndex.PrefixFilter(kind, 'w', w)).ToList(), CandidatesPerStage, cancellationToken);

        if (tokens.Count == 1 && tokens[0].Length >= 3 && text.Length <= 24 && hits.Values.Count(h => h.Score >= 2) < limit)
        {
            await CollectAsync(scored, hits, [AzureNameIndex.PrefixFilter(kind, 's', tokens[0])], CandidatesPerStage, cancellationToken);
        }

        if (hits.Count < limit)
        {
            var corrections = new List<string>();
            foreach (var token in tokens)
            {
                var maxDistance = NameText.AllowedTypos(token.Length);
                if (maxDistance == 0) continue;
                var terms = await _terms.GetAsync(kind, AzureNameIndex.FirstLetter(token), cancellationToken);
                if (!terms.HasPrefix(token)) corrections.AddRange(terms.Corrections(token, maxDistance, CorrectionsPerWord));
            }

            await CollectAsync(scored, hits, corrections.Distinct(StringComparer.Ordinal).Select(t => AzureNameIndex.TermFilter(kind, t)).ToList(), CandidatesPerStage, cancellationToken);
        }

        return hits.Values
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .ThenBy(h => h.Key, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
    }

    private async Task CollectAsync(ScoredQuery query, Dictionary<string, Hit> hits, IReadOnlyList<string> filters, int take, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(filters.Select(async filter =>
        {
            var rows = new List<(string Key, string Name)>();
            await foreach (var e in _names.QueryAsync<TableEntity>(filter, maxPerPage: take, select: ["Name", "Key"], cancellationToken: cancellationToken))
            {
                rows.Add((e.GetString("Key"), e.GetString("Name")));
                if (rows.Count >= take) break;
            }

            return rows;
        }));
        foreach (var (key, name) in found.SelectMany(f => f))
        {
            if (hits.ContainsKey(key)) continue;
            if (query.Score(name) is { } score) hits[key] = new Hit(key, name, score);
        }
    }
}

/// <summary>
/// The indexed words of one kind and first letter, held in memory for typo correction; reloaded when the
/// names version (bumped by every writer of names, on any instance) moves. Like the SQLite registry,
/// the version is read on every search that reaches the typo stage.
/// </summary>
internal sealed class AzureTermCache(TableClient names)
{
    private readonly Dictionary<(char, string), TermDictionary> _dictionaries = [];

    public async Task<TermDictionary> GetAsync(char kind, string letter, CancellationToken cancellationToken)
    {
        var meta = await names.GetEntityIfExistsAsync<TableEntity>(AzureNameIndex.MetaPartition, AzureNameIndex.MetaRow, cancellationToken: cancellationToken);
        var version = meta.HasValue ? meta.Value!.GetInt64("Version") ?? 0 : 0;
        lock (_dictionaries)
        {
            if (_dictionaries.TryGetValue((kind, letter), out var cached) && cached.Version == version) return cached;
        }

        // Two searches may both load after a change; the result is the same, so no lock is held across the read.
        var terms = new List<string>();
        var partition = $"{kind}t|{letter}";
        await foreach (var e in names.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            terms.Add(e.RowKey);
        }

        var dictionary = new TermDictionary(version, terms);
        lock (_dictionaries) _dictionaries[(kind, letter)] = dictionary;
        return dictionary;
    }
}
