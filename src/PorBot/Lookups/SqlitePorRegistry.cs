using System.Globalization;
using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Lookups;

/// <summary>
/// The embedded registry. Exact lookups use B-tree indexes (subscription id, tenant id, domain NOCASE,
/// partner id, partner tenant). Name search (migration 003) gathers a bounded set of candidates from
/// cheap index probes and ranks them in memory, so a broad prefix never scores every match:
/// exact name &gt; name prefix &gt; word prefix &gt; substring &gt; typo. See <see cref="NameSearch"/>.
/// </summary>
public sealed class SqlitePorRegistry(SqliteDatabase database, TimeProvider time) : IPorRegistry
{
    private readonly TermCache _terms = new();

    public const string SourceName = "sqlite";

    /// <summary>Upper bound on results per search, whatever the caller asks for.</summary>
    public const int MaxSearchResults = 100;

    private const string SelectSubscription = """
        SELECT s.subscription_id, s.customer_name, s.customer_tenant_id, s.customer_domain, s.program, s.product,
               s.por_partner_id, p.name, s.por_since, s.updated_at
        FROM subscriptions s LEFT JOIN partners p ON p.partner_id = s.por_partner_id
        """;

    private const string SelectPartner = """
        SELECT p.partner_id, p.name, p.country, p.updated_at,
               (SELECT group_concat(t.tenant_id, ';') FROM partner_tenants t WHERE t.partner_id = p.partner_id)
        FROM partners p
        """;

    private const string SubscriptionById = $"{SelectSubscription} WHERE s.subscription_id = $v";
    private const string SubscriptionsByTenant = $"{SelectSubscription} WHERE s.customer_tenant_id = $v ORDER BY s.product, s.subscription_id";
    private const string SubscriptionsByDomain = $"{SelectSubscription} WHERE s.customer_domain = $v COLLATE NOCASE ORDER BY s.product, s.subscription_id";
    private const string PartnerById = $"{SelectPartner} WHERE p.partner_id = $v";
    private const string PartnerByTenant = $"{SelectPartner} WHERE p.partner_id = (SELECT partner_id FROM partner_tenants WHERE tenant_id = $v)";

    public async Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken) =>
        (await QuerySubscriptionsAsync(SubscriptionById, Id(subscriptionId), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) =>
        QuerySubscriptionsAsync(SubscriptionsByTenant, Id(customerTenantId), cancellationToken);

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken) =>
        QuerySubscriptionsAsync(SubscriptionsByDomain, domain.Trim().TrimEnd('.'), cancellationToken);

    public async Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.RentAsync(cancellationToken);
        var hits = await NameSearch.SearchAsync(connection, NameIndex.Customers, _terms, query, Math.Min(limit, MaxSearchResults), cancellationToken);
        if (hits.Count == 0) return [];

        var details = new Dictionary<long, CustomerMatch>();
        await using (var command = connection.Connection.Command($"SELECT rid, tenant_id, name, domain, subscription_count FROM customers WHERE rid IN ({RidList(hits)})"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                details[reader.GetInt64(0)] = new CustomerMatch(reader.GetString(2), Guid.Parse(reader.GetString(1)), reader.GetNullableString(3), reader.GetInt32(4), 0);
            }
        }

        return hits.Where(h => details.ContainsKey(h.Rid)).Select(h => details[h.Rid] with { Score = h.Score }).ToList();
    }

    public async Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken) =>
        (await QueryPartnersAsync(PartnerById, partnerId.Trim(), cancellationToken)).SingleOrDefault();

    public async Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken) =>
        (await QueryPartnersAsync(PartnerByTenant, Id(tenantId), cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.RentAsync(cancellationToken);
        var hits = await NameSearch.SearchAsync(connection, NameIndex.Partners, _terms, query, Math.Min(limit, MaxSearchResults), cancellationToken);
        if (hits.Count == 0) return [];

        // The row ids make this text different every time: not worth keeping prepared.
        await using var command = connection.Connection.Command($"{SelectPartner} WHERE p.partner_id IN (SELECT partner_id FROM partner_names WHERE rid IN ({RidList(hits)}))");
        var partners = await ReadPartnersAsync(command, cancellationToken);
        var byId = partners.ToDictionary(p => p.PartnerId, StringComparer.Ordinal);
        return hits.Where(h => byId.ContainsKey(h.Key)).Select(h => byId[h.Key]).ToList();
    }

    public async Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var id = Id(change.SubscriptionId);
        var current = await connection.Command("SELECT coalesce(por_partner_id, '') FROM subscriptions WHERE subscription_id = $id", transaction)
            .With("$id", id).ExecuteScalarAsync(cancellationToken);
        if (current is not string oldPartner)
        {
            throw new KeyNotFoundException($"Subscription {change.SubscriptionId} is not in the registry.");
        }

        var newPartner = string.IsNullOrWhiteSpace(change.NewPorPartnerId) ? null : change.NewPorPartnerId.Trim();
        if (newPartner is not null && await connection.Command("SELECT 1 FROM partners WHERE partner_id = $p", transaction)
                .With("$p", newPartner).ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new KeyNotFoundException($"Partner {newPartner} is not in the registry.");
        }

        var now = time.GetUtcNow().ToDbTime();
        var since = change.EffectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await connection.Command("UPDATE subscriptions SET por_partner_id = $partner, por_since = $since, updated_at = $now WHERE subscription_id = $id", transaction)
            .With("$partner", newPartner).With("$since", newPartner is null ? null : since).With("$now", now).With("$id", id)
            .ExecuteNonQueryAsync(cancellationToken);
        await connection.Command("""
                INSERT INTO por_changes (subscription_id, old_partner_id, new_partner_id, effective_from, reason, recorded_at)
                VALUES ($id, $old, $new, $since, $reason, $now)
                """, transaction)
            .With("$id", id).With("$old", oldPartner.Length == 0 ? null : oldPartner).With("$new", newPartner)
            .With("$since", since).With("$reason", change.Reason).With("$now", now)
            .ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // GUIDs are stored as lower-case 'D' text, as the import writes them.
    private static string Id(Guid id) => id.ToString("D");

    // Row ids come from our own query results, never from user text, so inlining them is safe.
    private static string RidList(IReadOnlyList<NameHit> hits) => string.Join(',', hits.Select(h => h.Rid.ToString(CultureInfo.InvariantCulture)));

    private async Task<IReadOnlyList<SubscriptionRecord>> QuerySubscriptionsAsync(string sql, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.RentAsync(cancellationToken);
        if (connection.TryGetKept<List<SubscriptionRecord>>(sql, value, out var kept)) return kept;
        await using var reader = await connection.Statement(sql).With("$v", value).ExecuteReaderAsync(cancellationToken);
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

        // Kept for the connection's next snapshots while nothing is committed (RetrievedAt stays the first read's).
        return connection.Keep(sql, value, list);
    }

    private async Task<IReadOnlyList<PartnerRecord>> QueryPartnersAsync(string sql, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.RentAsync(cancellationToken);
        if (connection.TryGetKept<IReadOnlyList<PartnerRecord>>(sql, value, out var kept)) return kept;
        return connection.Keep(sql, value, await ReadPartnersAsync(connection.Statement(sql).With("$v", value), cancellationToken));
    }

    private async Task<IReadOnlyList<PartnerRecord>> ReadPartnersAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var now = time.GetUtcNow();
        var list = new List<PartnerRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var tenants = reader.GetNullableString(4)?.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).Order().ToList() ?? [];
            list.Add(new PartnerRecord(reader.GetString(0), reader.GetString(1), reader.GetNullableString(2), tenants,
                new Provenance(SourceName, SqliteExtensions.FromDbTime(reader.GetString(3)), now)));
        }

        return list;
    }
}

/// <summary>A searchable name table from migration 003 and its FTS5 companions.</summary>
internal sealed record NameIndex(string Table, string KeyColumn, string Fts, string Trigram, string Vocab)
{
    public static readonly NameIndex Customers = new("customers", "tenant_id", "customers_fts", "customers_tri", "customers_vocab");
    public static readonly NameIndex Partners = new("partner_names", "partner_id", "partner_names_fts", "partner_names_tri", "partner_names_vocab");
}

internal readonly record struct NameHit(long Rid, string Key, string Name, double Score);

/// <summary>
/// Name search over a <see cref="NameIndex"/>. Each stage is an index probe with a LIMIT and no
/// ORDER BY rank (ranking every match of a broad prefix costs ~100 ms at 1M rows); later stages only
/// run while the page is not full of better matches. Candidates are then scored here:
/// 4.x exact name, 3.x name starts with the query, 2.x every query word starts a word of the name,
/// 1.x the name contains the query, 0.x the same with small typos. The fraction rewards names close in
/// length to the query, so "Contoso" ranks above "Contoso Pharmaceuticals International".
/// </summary>
internal static class NameSearch
{
    private const int CandidatesPerStage = 100;
    private const int CorrectionsPerWord = 8;

    public static async Task<IReadOnlyList<NameHit>> SearchAsync(RentedConnection connection, NameIndex index, TermCache terms, string query, int limit, CancellationToken cancellationToken)
    {
        var text = NameText.CollapseWhitespace(query);
        var tokens = NameText.Tokens(text);
        if (limit <= 0 || tokens.Count == 0 || text.Length > 200) return [];

        var scored = new ScoredQuery(text, tokens);
        var hits = new Dictionary<long, NameHit>();
        var select = $"SELECT rid, {index.KeyColumn}, name FROM {index.Table}";

        // Exact and whole-name prefix, alphabetically: a range over the NOCASE index stays cheap however broad the prefix.
        await CollectAsync(connection, scored, hits,
            $"{select} WHERE name COLLATE NOCASE >= $lo AND name COLLATE NOCASE < $hi ORDER BY name COLLATE NOCASE LIMIT $n",
            [("$lo", text), ("$hi", text + "\U0010FFFF"), ("$n", Math.Max(limit, 20))], cancellationToken);

        // Word prefixes anywhere in the name; case and accents folded by unicode61. One-letter words would
        // expand to a large share of the vocabulary, so they are left to the scoring.
        var words = tokens.Where(t => t.Length >= 2).ToList();
        if (words.Count > 0)
        {
            await CollectAsync(connection, scored, hits,
                $"{select} WHERE rid IN (SELECT rowid FROM {index.Fts} WHERE {index.Fts} MATCH $m LIMIT $n)",
                [("$m", string.Join(' ', words.Select(w => Quote(w) + "*"))), ("$n", CandidatesPerStage)], cancellationToken);
        }

        // Substrings inside a word ("ventur" in "Adventure"): one word of 3 to 24 characters. A trigram
        // phrase reads one doclist per trigram, so longer and multi-word queries (which the word stage
        // answers) would cost ~10 ms at 1M rows for little gain.
        if (tokens.Count == 1 && text.Length is >= 3 and <= 24 && hits.Values.Count(h => h.Score >= 2) < limit)
        {
            await CollectAsync(connection, scored, hits,
                $"{select} WHERE rid IN (SELECT rowid FROM {index.Trigram} WHERE {index.Trigram} MATCH $m LIMIT $n)",
                [("$m", Quote(text)), ("$n", CandidatesPerStage)], cancellationToken);
        }

        if (hits.Count < limit && TypoMatch(await terms.GetAsync(connection, index, cancellationToken), tokens) is { } typoMatch)
        {
            await CollectAsync(connection, scored, hits,
                $"{select} WHERE rid IN (SELECT rowid FROM {index.Fts} WHERE {index.Fts} MATCH $m LIMIT $n)",
                [("$m", typoMatch), ("$n", CandidatesPerStage)], cancellationToken);
        }

        return hits.Values
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .ThenBy(h => h.Rid)
            .Take(limit)
            .ToList();
    }

    /// <summary>
    /// An FTS query where each word of four or more letters that starts no indexed term may also be
    /// any indexed term within edit distance 1 (2 from eight letters). Candidate terms share the word's
    /// first letter, which bounds the cost; a typo in the first letter is not corrected.
    /// Null when no word needs a correction.
    /// </summary>
    private static string? TypoMatch(TermDictionary terms, IReadOnlyList<string> tokens)
    {
        var parts = new List<string>();
        var corrected = false;
        foreach (var token in tokens)
        {
            var maxDistance = NameText.AllowedTypos(token.Length);
            var corrections = maxDistance > 0 && !terms.HasPrefix(token) ? terms.Corrections(token, maxDistance, CorrectionsPerWord) : [];
            if (corrections.Count > 0)
            {
                corrected = true;
                parts.Add("(" + string.Join(" OR ", corrections.Select(Quote).Prepend(Quote(token) + "*")) + ")");
            }
            else if (token.Length >= 2)
            {
                parts.Add(Quote(token) + "*");
            }
        }

        return corrected ? string.Join(" AND ", parts) : null;
    }

    // The stage texts are fixed per index (a handful), so they stay prepared on the connection.
    private static async Task CollectAsync(RentedConnection connection, ScoredQuery query, Dictionary<long, NameHit> hits, string sql,
        (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var command = connection.Statement(sql);
        foreach (var (name, value) in parameters) command.With(name, value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var rid = reader.GetInt64(0);
            if (hits.ContainsKey(rid)) continue;
            var name = reader.GetString(2);
            if (query.Score(name) is { } score) hits[rid] = new NameHit(rid, reader.GetString(1), name, score);
        }
    }

    // FTS5 string literal: everything between double quotes is a plain string, quotes doubled.
    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// The indexed terms of each name index, held in memory for typo correction (reading them from
/// fts5vocab per query would walk every doclist of a letter: ~8 ms at 100k rows). Reloaded when
/// <c>registry_meta.names_version</c> moves, which the name triggers and the importer bump.
/// </summary>
internal sealed class TermCache
{
    private readonly Dictionary<NameIndex, TermDictionary> _dictionaries = [];

    public async Task<TermDictionary> GetAsync(RentedConnection connection, NameIndex index, CancellationToken cancellationToken)
    {
        var version = Convert.ToInt64(await connection.Statement("SELECT names_version FROM registry_meta").ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        lock (_dictionaries)
        {
            if (_dictionaries.TryGetValue(index, out var cached) && cached.Version == version) return cached;
        }

        // Two searches may both load after a change; the result is the same, so no lock is held across the read.
        var terms = new List<string>();
        await using (var command = connection.Connection.Command($"SELECT term FROM {index.Vocab}"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) terms.Add(reader.GetString(0));
        }

        var dictionary = new TermDictionary(version, terms);
        lock (_dictionaries) _dictionaries[index] = dictionary;
        return dictionary;
    }
}
