using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using PorBot.Conversations;
using PorBot.Storage.Sqlite;

namespace PorBot.Conflicts;

/// <summary>One outbox row leased for sending (or a Waiting row to retarget).</summary>
public sealed record OutboxItem(
    Guid AlertId,
    Guid ConflictId,
    string Kind,
    int Revision,
    string PartyPartnerId,
    string? TenantId,
    string? ConversationId,
    string? UserAadObjectId,
    int Attempts);

public sealed record AlertFailure(Guid AlertId, Guid ConflictId, string PartyPartnerId, string Status, string? ConversationId, string? Reason, DateTimeOffset UpdatedAt);

public sealed record AlertStatusReport(IReadOnlyDictionary<string, int> CountsByStatus, IReadOnlyList<AlertFailure> RecentProblems);

/// <summary>
/// The alert outbox's state machine in SQLite: Pending → Sending (leased) → Delivered | Pending (retry later) |
/// Failed | Undeliverable; Waiting rows are retargeted when the party gets a conversation; Sending rows whose
/// lease ran out (the process died mid-send) become Unknown for reconciliation, never resent blindly.
/// </summary>
public sealed class AlertOutboxStore(SqliteDatabase database, TimeProvider time, IOptions<AlertDeliveryOptions> options) : IDisposable
{
    public const string UnknownOutcomeReason = "outcome unknown after a restart";

    // SQLite takes one writer at a time, and a writer that finds the file locked sleeps in its busy handler (1, 2, 5,
    // 10 ms, ...) however soon the lock frees. Parallel sends each write twice (lease, outcome): queued here they hand
    // over at once instead of sleeping, which is most of a send's time under load.
    private readonly SemaphoreSlim _writes = new(1, 1);

    private const string Columns = "alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id, target_user_aad_object_id, attempts";

    /// <summary>
    /// Up to <paramref name="max"/> due Pending rows, Alerts before Updates, oldest first, without claiming them,
    /// leaving out the conversations and tenants the caller cannot send to now.
    /// </summary>
    public async Task<IReadOnlyList<OutboxItem>> ListDueAsync(int max, IReadOnlyCollection<string> skipConversations, IReadOnlyCollection<string> skipTenants, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"""
            SELECT {Columns} FROM alert_outbox
            WHERE status = 'Pending' AND next_attempt_at <= $now
              AND coalesce(target_conversation_id, '') NOT IN (SELECT value FROM json_each($conversations))
              AND lower(coalesce(target_tenant_id, '')) NOT IN (SELECT lower(value) FROM json_each($tenants))
            ORDER BY kind, revision, created_at LIMIT $max
            """)
            .With("$now", time.GetUtcNow().ToDbTime()).With("$max", max)
            .With("$conversations", JsonSerializer.Serialize(skipConversations)).With("$tenants", JsonSerializer.Serialize(skipTenants))
            .ExecuteReaderAsync(cancellationToken);
        var items = new List<OutboxItem>();
        while (await reader.ReadAsync(cancellationToken)) items.Add(Read(reader));
        return items;
    }

    /// <summary>Claims one row for sending now (Pending → Sending, one attempt used); null if it is no longer due or someone else took it.</summary>
    public async Task<OutboxItem?> TryLeaseAsync(Guid alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            await using var reader = await connection.Command($"""
                UPDATE alert_outbox SET status = 'Sending', lease_until = $lease, attempts = attempts + 1, updated_at = $now
                WHERE alert_id = $id AND status = 'Pending' AND next_attempt_at <= $now
                RETURNING {Columns}
                """)
                .With("$lease", (now + options.Value.LeaseDuration).ToDbTime()).With("$now", now.ToDbTime()).With("$id", Id(alertId))
                .ExecuteReaderAsync(cancellationToken);
            // The update is done once the statement ran: a cancellation now would lose a leased row.
            return await reader.ReadAsync(CancellationToken.None) ? Read(reader) : null;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Rows left in Sending past their lease were mid-send when the process stopped: park them as Unknown.</summary>
    public async Task<int> ParkExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToDbTime();
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.Command("""
            UPDATE alert_outbox SET status = 'Unknown', last_error = $reason, lease_until = NULL, updated_at = $now
            WHERE status = 'Sending' AND lease_until < $now
            """).With("$reason", UnknownOutcomeReason).With("$now", now).ExecuteNonQueryAsync(cancellationToken);
    }

    public Task MarkDeliveredAsync(Guid alertId, string? activityId, CancellationToken cancellationToken) =>
        SetAsync(alertId, "Delivered", activityId, null, null, cancellationToken);

    public Task MarkUndeliverableAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        SetAsync(alertId, "Undeliverable", null, reason, null, cancellationToken);

    /// <summary>
    /// A transient failure: back to Pending after a jittered exponential delay, and never before
    /// <paramref name="notBefore"/> (the service's Retry-After), or Failed once attempts run out.
    /// </summary>
    public Task RescheduleAsync(OutboxItem item, string reason, CancellationToken cancellationToken, TimeSpan? notBefore = null)
    {
        var o = options.Value;
        if (item.Attempts >= o.MaxAttempts) return SetAsync(item.AlertId, "Failed", null, $"{reason} (gave up after {item.Attempts} attempts)", null, cancellationToken);
        var exponential = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(item.Attempts - 1, 16));
        var capped = Math.Min(exponential, o.RetryMaxDelay.TotalMilliseconds);
        // Full jitter in [½, 1] of the delay: retries of many rows don't hit the connector in lockstep.
        var delay = TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
        if (notBefore > delay) delay = notBefore.Value;
        return SetAsync(item.AlertId, "Pending", null, reason, time.GetUtcNow() + delay, cancellationToken);
    }

    /// <summary>Not this row's turn yet (its card isn't delivered, or the worker stopped before calling): back to Pending without using up an attempt.</summary>
    public async Task DeferAsync(Guid alertId, TimeSpan delay, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("""
            UPDATE alert_outbox SET status = 'Pending', attempts = max(attempts - 1, 0), next_attempt_at = $next, lease_until = NULL, updated_at = $now
            WHERE alert_id = $id AND status = 'Sending'
            """).With("$next", (now + delay).ToDbTime()).With("$now", now.ToDbTime()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The activity id of the card already in this conversation for this party and conflict: the delivered Alert,
    /// else the latest delivered Update that had to post a new card.
    /// </summary>
    public async Task<string?> FindDeliveredActivityIdAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var found = await connection.Command("""
            SELECT connector_activity_id FROM alert_outbox
            WHERE conflict_id = $conflict AND party_partner_id = $party AND status = 'Delivered' AND connector_activity_id IS NOT NULL
              AND target_tenant_id IS $tenant AND target_conversation_id IS $conversation AND target_user_aad_object_id IS $user
            ORDER BY kind = 'Alert' DESC, revision DESC LIMIT 1
            """).With("$conflict", Id(item.ConflictId)).With("$party", item.PartyPartnerId).With("$tenant", item.TenantId)
            .With("$conversation", item.ConversationId).With("$user", item.UserAadObjectId).ExecuteScalarAsync(cancellationToken);
        return found as string;
    }

    /// <summary>True while the Alert for this place is still on its way (Pending or Sending): an Update must wait for it.</summary>
    public async Task<bool> HasAlertInFlightAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var count = (long)(await connection.Command("""
            SELECT count(*) FROM alert_outbox
            WHERE conflict_id = $conflict AND party_partner_id = $party AND kind = 'Alert' AND status IN ('Pending', 'Sending')
              AND target_tenant_id IS $tenant AND target_conversation_id IS $conversation AND target_user_aad_object_id IS $user
            """).With("$conflict", Id(item.ConflictId)).With("$party", item.PartyPartnerId).With("$tenant", item.TenantId)
            .With("$conversation", item.ConversationId).With("$user", item.UserAadObjectId).ExecuteScalarAsync(cancellationToken))!;
        return count > 0;
    }

    public async Task<IReadOnlyList<OutboxItem>> ListWaitingAsync(int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"SELECT {Columns} FROM alert_outbox WHERE status = 'Waiting' ORDER BY created_at LIMIT $max")
            .With("$max", max).ExecuteReaderAsync(cancellationToken);
        var items = new List<OutboxItem>();
        while (await reader.ReadAsync(cancellationToken)) items.Add(Read(reader));
        return items;
    }

    /// <summary>Replaces a Waiting row by one Pending row per place, in one transaction (a no-op if someone else already did).</summary>
    /// <returns>The number of Pending rows added.</returns>
    public async Task<int> PromoteWaitingAsync(OutboxItem waiting, IReadOnlyList<StoredConversationReference> places, CancellationToken cancellationToken)
    {
        if (places.Count == 0) return 0;
        var now = time.GetUtcNow().ToDbTime();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var deleted = await connection.Command("DELETE FROM alert_outbox WHERE alert_id = $id AND status = 'Waiting'", transaction)
            .With("$id", Id(waiting.AlertId)).ExecuteNonQueryAsync(cancellationToken);
        if (deleted == 0) return 0;

        var added = 0;
        foreach (var place in places)
        {
            // The first place keeps the waiting row's id, so logs that mentioned it still lead somewhere.
            var id = added == 0 ? waiting.AlertId : Guid.NewGuid();
            added += await connection.Command("""
                INSERT OR IGNORE INTO alert_outbox (alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id,
                                                    target_user_aad_object_id, status, next_attempt_at, created_at, updated_at)
                VALUES ($id, $conflict, $kind, $revision, $party, $tenant, $conversation, $user, 'Pending', $now, $now, $now)
                """, transaction)
                .With("$id", Id(id)).With("$conflict", Id(waiting.ConflictId)).With("$kind", waiting.Kind).With("$revision", waiting.Revision)
                .With("$party", waiting.PartyPartnerId).With("$tenant", place.TenantId).With("$conversation", place.ConversationId)
                .With("$user", place.UserAadObjectId).With("$now", now).ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <param name="partnerId">Only this party's rows; null for all.</param>
    public async Task<AlertStatusReport> GetStatusAsync(string? partnerId, int recentProblems, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var reader = await connection.Command("SELECT status, count(*) FROM alert_outbox WHERE $party IS NULL OR party_partner_id = $party GROUP BY status")
            .With("$party", partnerId).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        var problems = new List<AlertFailure>();
        await using (var reader = await connection.Command("""
            SELECT alert_id, conflict_id, party_partner_id, status, target_conversation_id, last_error, updated_at FROM alert_outbox
            WHERE ($party IS NULL OR party_partner_id = $party) AND status IN ('Failed', 'Undeliverable', 'Unknown')
            ORDER BY updated_at DESC LIMIT $max
            """).With("$party", partnerId).With("$max", recentProblems).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                problems.Add(new AlertFailure(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                    reader.GetNullableString(4), reader.GetNullableString(5), SqliteExtensions.FromDbTime(reader.GetString(6))));
            }
        }

        return new AlertStatusReport(counts, problems);
    }

    private async Task SetAsync(Guid alertId, string status, string? activityId, string? reason, DateTimeOffset? nextAttempt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            // Only a row this worker holds (or one parked as Unknown while its send was still running) changes.
            await connection.Command("""
                UPDATE alert_outbox SET status = $status, connector_activity_id = coalesce($activity, connector_activity_id),
                       last_error = coalesce($reason, last_error), next_attempt_at = coalesce($next, next_attempt_at), lease_until = NULL, updated_at = $now
                WHERE alert_id = $id AND status IN ('Sending', 'Unknown')
                """)
                .With("$status", status).With("$activity", activityId).With("$reason", reason).With("$next", nextAttempt?.ToDbTime())
                .With("$now", time.GetUtcNow().ToDbTime()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writes.Release();
        }
    }

    public void Dispose() => _writes.Dispose();

    private static OutboxItem Read(SqliteDataReader r) => new(
        Guid.Parse(r.GetString(0)), Guid.Parse(r.GetString(1)), r.GetString(2), r.GetInt32(3), r.GetString(4),
        r.GetNullableString(5), r.GetNullableString(6), r.GetNullableString(7), r.GetInt32(8));

    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);
}
