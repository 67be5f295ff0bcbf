using System.Globalization;
using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Conflicts;

/// <summary>
/// Claims, conflicts and proofs in the embedded database. A subscription's version lives in
/// <c>claim_subscriptions</c>: a save checks and bumps it in the transaction that writes the change and its
/// outbox rows, so the alerts are queued exactly when the change is saved.
/// </summary>
public sealed class SqliteClaimStore(SqliteDatabase database, TimeProvider time) : IClaimStore
{
    private const string ClaimColumns = """
        claim_id, subscription_id, claimant_partner_id, source, source_system, note, outcome, conflict_id, status,
        idempotency_key, request_hash, decided_por_partner_id, decided_by, registry_synced, created_at, updated_at
        """;

    private const string ConflictColumns = """
        conflict_id, subscription_id, current_por_partner_id, status, winner_partner_id, resolved_by, registry_synced, version, created_at, updated_at
        """;

    public async Task<SubscriptionClaims> LoadAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One read transaction: the version and the rows come from the same snapshot.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var sub = Id(subscriptionId);
        var version = await connection.Command("SELECT version FROM claim_subscriptions WHERE subscription_id = $sub", transaction)
            .With("$sub", sub).ExecuteScalarAsync(cancellationToken);

        var conflicts = new List<StoredConflict>();
        await using (var reader = await connection.Command($"SELECT {ConflictColumns} FROM conflicts WHERE subscription_id = $sub ORDER BY created_at, conflict_id", transaction)
            .With("$sub", sub).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) conflicts.Add(ReadConflict(reader));
        }

        var claims = new List<StoredClaim>();
        await using (var reader = await connection.Command($"SELECT {ClaimColumns} FROM claims WHERE subscription_id = $sub ORDER BY created_at, claim_id", transaction)
            .With("$sub", sub).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) claims.Add(ReadClaim(reader));
        }

        var proofs = new List<StoredProof>();
        await using (var reader = await connection.Command("""
            SELECT p.proof_id, p.conflict_id, p.partner_id, p.description, p.link, p.added_by, p.created_at
            FROM conflict_proofs p JOIN conflicts c ON c.conflict_id = p.conflict_id
            WHERE c.subscription_id = $sub ORDER BY p.created_at, p.proof_id
            """, transaction).With("$sub", sub).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                proofs.Add(new StoredProof(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                    reader.GetNullableString(4), reader.GetString(5), SqliteExtensions.FromDbTime(reader.GetString(6))));
            }
        }

        // Rows without a version row come from a test or a hand edit: the first save then creates it.
        var token = version is long v ? v.ToString(CultureInfo.InvariantCulture) : null;
        return new SubscriptionClaims(subscriptionId, token, claims, conflicts, proofs);
    }

    public async Task<Guid?> FindSubscriptionAsync(Guid claimOrConflictId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var found = await connection.Command("""
            SELECT subscription_id FROM claims WHERE claim_id = $id
            UNION ALL SELECT subscription_id FROM conflicts WHERE conflict_id = $id
            LIMIT 1
            """).With("$id", Id(claimOrConflictId)).ExecuteScalarAsync(cancellationToken);
        return found is string text ? Guid.Parse(text) : null;
    }

    public async Task<bool> TrySaveAsync(ClaimsChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var subscriptionId = change.Base.SubscriptionId;
        if (change.PutClaims.Any(c => c.SubscriptionId != subscriptionId) || change.PutConflicts.Any(c => c.SubscriptionId != subscriptionId))
            throw new ArgumentException($"A change saves claims and conflicts of subscription {subscriptionId:D} only.", nameof(change));

        await using var connection = await database.OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE: the version check and the writes hold the write lock from the start, so a concurrent save waits and then sees the new version.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var now = time.GetUtcNow();
        if (!await BumpVersionAsync(connection, transaction, subscriptionId, change.Base.ConcurrencyToken, cancellationToken)) return false;

        // Conflicts before claims and proofs, which reference them; upserts, since REPLACE would delete a row the outbox references.
        foreach (var conflict in change.PutConflicts)
        {
            await connection.Command($"""
                INSERT INTO conflicts ({ConflictColumns})
                VALUES ($id, $sub, $por, $status, $winner, $by, $synced, $version, $created, $updated)
                ON CONFLICT (conflict_id) DO UPDATE SET
                    current_por_partner_id = excluded.current_por_partner_id, status = excluded.status, winner_partner_id = excluded.winner_partner_id,
                    resolved_by = excluded.resolved_by, registry_synced = excluded.registry_synced, version = excluded.version,
                    created_at = excluded.created_at, updated_at = excluded.updated_at
                """, transaction)
                .With("$id", Id(conflict.ConflictId)).With("$sub", Id(conflict.SubscriptionId)).With("$por", conflict.CurrentPorPartnerId)
                .With("$status", conflict.Status.ToString()).With("$winner", conflict.WinnerPartnerId).With("$by", conflict.ResolvedBy)
                .With("$synced", conflict.RegistrySynced ? 1 : 0).With("$version", conflict.Version)
                .With("$created", conflict.CreatedAt.ToDbTime()).With("$updated", conflict.UpdatedAt.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var claim in change.PutClaims)
        {
            await connection.Command($"""
                INSERT INTO claims ({ClaimColumns})
                VALUES ($id, $sub, $partner, $source, $system, $note, $outcome, $conflict, $status, $key, $hash, $decided, $decidedBy, $synced, $created, $updated)
                ON CONFLICT (claim_id) DO UPDATE SET
                    claimant_partner_id = excluded.claimant_partner_id, source = excluded.source, source_system = excluded.source_system, note = excluded.note,
                    outcome = excluded.outcome, conflict_id = excluded.conflict_id, status = excluded.status, idempotency_key = excluded.idempotency_key,
                    request_hash = excluded.request_hash, decided_por_partner_id = excluded.decided_por_partner_id, decided_by = excluded.decided_by,
                    registry_synced = excluded.registry_synced, created_at = excluded.created_at, updated_at = excluded.updated_at
                """, transaction)
                .With("$id", Id(claim.ClaimId)).With("$sub", Id(claim.SubscriptionId)).With("$partner", claim.ClaimantPartnerId)
                .With("$source", claim.Source).With("$system", claim.SourceSystem).With("$note", claim.Note).With("$outcome", claim.Outcome.ToString())
                .With("$conflict", claim.ConflictId is { } conflictId ? Id(conflictId) : null).With("$status", claim.Status.ToString())
                .With("$key", claim.IdempotencyKey).With("$hash", claim.RequestHash).With("$decided", claim.DecidedPorPartnerId).With("$decidedBy", claim.DecidedBy)
                .With("$synced", claim.RegistrySynced ? 1 : 0).With("$created", claim.CreatedAt.ToDbTime()).With("$updated", claim.UpdatedAt.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var proof in change.AddProofs)
        {
            await connection.Command("""
                INSERT INTO conflict_proofs (proof_id, conflict_id, partner_id, description, link, added_by, created_at)
                VALUES ($id, $conflict, $partner, $description, $link, $by, $created)
                """, transaction)
                .With("$id", Id(proof.ProofId)).With("$conflict", Id(proof.ConflictId)).With("$partner", proof.PartnerId)
                .With("$description", proof.Description).With("$link", proof.Link).With("$by", proof.AddedBy).With("$created", proof.CreatedAt.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
        }

        await SqliteAlertOutbox.InsertAsync(connection, transaction, change.Alerts, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlySet<Guid>> GetActiveClaimsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken)
    {
        var found = new HashSet<Guid>();
        if (subscriptionIds.Count == 0) return found;
        // Every lookup a partner makes asks this: a rented connection keeps the statement prepared (and, in a
        // lookup's read snapshot, the answer while nothing is committed).
        await using var connection = await database.RentAsync(cancellationToken);
        var ids = JsonIdArray(subscriptionIds);
        var key = partnerId + " " + ids;
        if (connection.TryGetKept<HashSet<Guid>>(ActiveClaimsSql, key, out var kept)) return kept;
        await using var reader = await connection.Statement(ActiveClaimsSql).With("$partner", partnerId).With("$ids", ids).ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) found.Add(Guid.Parse(reader.GetString(0)));
        return connection.Keep(ActiveClaimsSql, key, found);
    }

    private const string ActiveClaimsSql = """
        SELECT DISTINCT subscription_id FROM claims
        WHERE claimant_partner_id = $partner AND status = 'Active' AND subscription_id IN (SELECT value FROM json_each($ids))
        """;

    public async Task<ClaimKey> ReserveKeyAsync(string key, string requestHash, Guid claimId, Guid subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // A key row is never changed once written: whoever inserted it first owns it.
        await connection.Command("""
            INSERT INTO claim_keys (key, request_hash, claim_id, subscription_id, cancelled, created_at) VALUES ($key, $hash, $claim, $sub, 0, $now)
            ON CONFLICT (key) DO NOTHING
            """)
            .With("$key", key).With("$hash", requestHash).With("$claim", Id(claimId)).With("$sub", Id(subscriptionId)).With("$now", time.GetUtcNow().ToDbTime())
            .ExecuteNonQueryAsync(cancellationToken);
        return (await ReadKeyAsync(connection, key, cancellationToken))!;
    }

    public async Task<ClaimKey?> FindKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadKeyAsync(connection, key, cancellationToken);
    }

    public async Task<bool> CancelKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("""
            INSERT INTO claim_keys (key, request_hash, claim_id, subscription_id, cancelled, created_at) VALUES ($key, NULL, NULL, NULL, 1, $now)
            ON CONFLICT (key) DO NOTHING
            """).With("$key", key).With("$now", time.GetUtcNow().ToDbTime()).ExecuteNonQueryAsync(cancellationToken);
        return (await ReadKeyAsync(connection, key, cancellationToken))!.Cancelled;
    }

    /// <summary>Checks that nobody saved the subscription since <paramref name="token"/> was read, and moves its version on.</summary>
    private static async Task<bool> BumpVersionAsync(SqliteConnection connection, SqliteTransaction transaction, Guid subscriptionId, string? token, CancellationToken cancellationToken)
    {
        if (token is null)
        {
            // Nothing was stored when the base was read: the first save creates the version row, a racing first save finds it there.
            return await connection.Command("INSERT INTO claim_subscriptions (subscription_id, version) VALUES ($sub, 1) ON CONFLICT (subscription_id) DO NOTHING", transaction)
                .With("$sub", Id(subscriptionId)).ExecuteNonQueryAsync(cancellationToken) == 1;
        }

        if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var version)) return false;
        return await connection.Command("UPDATE claim_subscriptions SET version = version + 1 WHERE subscription_id = $sub AND version = $version", transaction)
            .With("$sub", Id(subscriptionId)).With("$version", version).ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<ClaimKey?> ReadKeyAsync(SqliteConnection connection, string key, CancellationToken cancellationToken)
    {
        await using var reader = await connection.Command("SELECT request_hash, claim_id, subscription_id, cancelled FROM claim_keys WHERE key = $key")
            .With("$key", key).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new ClaimKey(key, reader.GetNullableString(0), reader.GetNullableString(1) is { } claim ? Guid.Parse(claim) : null,
            reader.GetNullableString(2) is { } sub ? Guid.Parse(sub) : null, reader.GetInt64(3) != 0);
    }

    private static StoredClaim ReadClaim(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3), reader.GetNullableString(4),
        reader.GetNullableString(5), Enum.Parse<ClaimOutcome>(reader.GetString(6)), reader.GetNullableString(7) is { } conflict ? Guid.Parse(conflict) : null,
        Enum.Parse<ClaimStatus>(reader.GetString(8)), reader.GetNullableString(9), reader.GetNullableString(10), reader.GetNullableString(11),
        reader.GetNullableString(12), reader.GetInt64(13) != 0, SqliteExtensions.FromDbTime(reader.GetString(14)), SqliteExtensions.FromDbTime(reader.GetString(15)));

    private static StoredConflict ReadConflict(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), Enum.Parse<ConflictStatus>(reader.GetString(3)),
        reader.GetNullableString(4), reader.GetNullableString(5), reader.GetInt64(6) != 0, reader.GetInt32(7),
        SqliteExtensions.FromDbTime(reader.GetString(8)), SqliteExtensions.FromDbTime(reader.GetString(9)));

    // GUIDs are stored as lower-case 'D' text, as the registry stores them.
    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>["…","…"]: what json_each reads, written directly (a GUID in "D" form needs no escaping).</summary>
    private static string JsonIdArray(IReadOnlyCollection<Guid> ids) =>
        string.Create(2 + ids.Count * 38 + Math.Max(0, ids.Count - 1), ids, static (span, ids) =>
        {
            span[0] = '[';
            var position = 1;
            foreach (var id in ids)
            {
                if (position > 1) span[position++] = ',';
                span[position++] = '"';
                id.TryFormat(span[position..], out var written, "D");
                position += written;
                span[position++] = '"';
            }
            span[position] = ']';
        });
}
