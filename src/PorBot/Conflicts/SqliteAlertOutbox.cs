using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using PorBot.Conversations;
using PorBot.Storage.Sqlite;

namespace PorBot.Conflicts;

/// <summary>
/// The alert outbox's state machine in SQLite: Pending → Sending (leased when its send can start; the send itself is
/// recorded just before the connector call) → Delivered | Pending (retry later) | Failed | Undeliverable; Waiting
/// rows are retargeted when the party gets a conversation. A send whose outcome is unknown (the connector answered
/// ambiguously, the worker gave up on it mid-call, or its lease ran out because the process died) becomes Unknown
/// and is reconciled, never resent blindly: an update in place is redone, a post is looked for (found → Delivered,
/// not found → Pending) or held for an operator.
/// </summary>
public sealed class SqliteAlertOutbox(SqliteDatabase database, TimeProvider time, IOptions<AlertDeliveryOptions> options) : IAlertOutbox, IDisposable
{
    public const string UnknownOutcomeReason = "outcome unknown after a restart";
    public const string NeverSentReason = "interrupted by a restart before it was sent";

    private const string Columns = "alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id, target_user_aad_object_id, attempts";

    private const string SamePlace = """
        conflict_id = $conflict AND party_partner_id = $party
        AND target_tenant_id IS $tenant AND target_conversation_id IS $conversation AND target_user_aad_object_id IS $user
        """;

    // SQLite takes one writer at a time, and a writer that finds the file locked sleeps in its busy handler (1, 2, 5,
    // 10 ms, ...) however soon the lock frees. Parallel sends each write three times (lease, send record, outcome):
    // queued here they hand over at once instead of sleeping, which is most of a send's time under load.
    private readonly SemaphoreSlim _writes = new(1, 1);

    public Task<int> EnqueueAsync(IReadOnlyList<NewAlert> alerts, CancellationToken cancellationToken) =>
        alerts.Count == 0 ? Task.FromResult(0) : WriteAsync(async connection =>
        {
            await using var transaction = connection.BeginTransaction();
            var added = await InsertAsync(connection, transaction, alerts, time.GetUtcNow(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return added;
        }, cancellationToken);

    /// <summary>Adds rows inside the caller's transaction: claims in SQLite queue their alerts in the change's own transaction.</summary>
    /// <returns>How many rows were added (rows already there are kept as they are).</returns>
    internal static async Task<int> InsertAsync(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<NewAlert> alerts, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var added = 0;
        foreach (var alert in alerts)
        {
            added += await connection.Command("""
                INSERT OR IGNORE INTO alert_outbox (alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id,
                                                    target_user_aad_object_id, status, next_attempt_at, created_at, updated_at)
                VALUES ($id, $conflict, $kind, $revision, $party, $tenant, $conversation, $user, $status, $now, $now, $now)
                """, transaction)
                .With("$id", Id(alert.AlertId)).With("$conflict", Id(alert.ConflictId)).With("$kind", alert.Kind).With("$revision", alert.Revision)
                .With("$party", alert.PartyPartnerId).With("$tenant", alert.Place?.TenantId).With("$conversation", alert.Place?.ConversationId)
                .With("$user", alert.Place?.UserAadObjectId).With("$status", alert.Place is null ? "Waiting" : "Pending").With("$now", now.ToDbTime())
                .ExecuteNonQueryAsync(cancellationToken);
        }

        return added;
    }

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
                UPDATE alert_outbox SET status = 'Sending', lease_until = $lease, attempts = attempts + 1, send_started_at = NULL, sent_as = NULL, updated_at = $now
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

    /// <summary>
    /// Records, just before the connector call, that a leased row is being sent and how: after a crash this tells
    /// a row that never left (simply Pending again) from one whose outcome is unknown.
    /// </summary>
    /// <returns>False when the row is no longer this worker's to send.</returns>
    public Task<bool> BeginSendAsync(Guid alertId, SendKind kind, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        WriteAsync(async connection => await connection.Command("""
            UPDATE alert_outbox SET send_started_at = $started, sent_as = $kind, updated_at = $started WHERE alert_id = $id AND status = 'Sending'
            """).With("$started", startedAt.ToDbTime()).With("$kind", kind.ToString()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken) == 1,
            cancellationToken);

    /// <summary>
    /// Rows left in Sending past their lease belonged to a process that stopped. One that never reached the
    /// connector is Pending again; one that did is parked as Unknown, due for reconciliation once a late delivery
    /// can no longer land (<see cref="AlertDeliveryOptions.ReconcileAfter"/> after the send; an update right away).
    /// </summary>
    public Task<ParkedLeases> ParkExpiredLeasesAsync(CancellationToken cancellationToken) =>
        ParkAsync(null, NeverSentReason, UnknownOutcomeReason, cancellationToken);

    /// <summary>
    /// A live worker gave up on a leased row (it is stopping, or the send outlived half its lease): settled the way
    /// a crash would settle it once the lease ran out, but at once. Nothing happens if the row is no longer Sending.
    /// </summary>
    /// <param name="reason">Why the worker gave up; the row's new state is added to it.</param>
    public Task<ParkedLeases> ParkInterruptedAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        ParkAsync(alertId, $"{reason} before it was sent", $"{reason} mid-send; outcome unknown", cancellationToken);

    public Task MarkDeliveredAsync(Guid alertId, string? activityId, CancellationToken cancellationToken) =>
        SetAsync(alertId, "Delivered", activityId, null, null, cancellationToken);

    public Task MarkUndeliverableAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        SetAsync(alertId, "Undeliverable", null, reason, null, cancellationToken);

    /// <summary>
    /// A transient failure: back to Pending after a jittered exponential delay, and never before
    /// <paramref name="notBefore"/> (the service's Retry-After), or Failed once attempts run out.
    /// </summary>
    /// <param name="onlyIfNotSent">Leave the row alone if its send had begun (the failure says nothing about whether it arrived).</param>
    public Task RescheduleAsync(OutboxItem item, string reason, CancellationToken cancellationToken, TimeSpan? notBefore = null, bool onlyIfNotSent = false)
    {
        var o = options.Value;
        if (item.Attempts >= o.MaxAttempts)
            return SetAsync(item.AlertId, "Failed", null, $"{reason} (gave up after {item.Attempts} attempts)", null, cancellationToken, onlyIfNotSent);
        var exponential = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(item.Attempts - 1, 16));
        var capped = Math.Min(exponential, o.RetryMaxDelay.TotalMilliseconds);
        // Full jitter in [½, 1] of the delay: retries of many rows don't hit the connector in lockstep.
        var delay = TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
        if (notBefore > delay) delay = notBefore.Value;
        return SetAsync(item.AlertId, "Pending", null, reason, time.GetUtcNow() + delay, cancellationToken, onlyIfNotSent);
    }

    /// <summary>The connector answered a post ambiguously (a 500, a timeout): the card may be there, so it is reconciled rather than retried.</summary>
    public Task MarkUnknownAsync(Guid alertId, string reason, DateTimeOffset sendStartedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return WriteAsync(connection => connection.Command("""
            UPDATE alert_outbox SET status = 'Unknown', last_error = $reason, lease_until = NULL, next_attempt_at = $due, updated_at = $now
            WHERE alert_id = $id AND status = 'Sending'
            """).With("$reason", reason).With("$due", (sendStartedAt + options.Value.ReconcileAfter).ToDbTime()).With("$now", now.ToDbTime())
            .With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Unknown rows not held for an operator whose time to be checked has come, oldest first.</summary>
    public async Task<IReadOnlyList<UnknownSend>> ListUnknownDueAsync(int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"""
            SELECT {Columns}, sent_as, coalesce(send_started_at, created_at) FROM alert_outbox
            WHERE status = 'Unknown' AND held_reason IS NULL AND next_attempt_at <= $now ORDER BY next_attempt_at LIMIT $max
            """).With("$now", time.GetUtcNow().ToDbTime()).With("$max", max).ExecuteReaderAsync(cancellationToken);
        var items = new List<UnknownSend>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var sentAs = reader.GetNullableString(9) is { } kind ? Enum.Parse<SendKind>(kind) : (SendKind?)null;
            items.Add(new UnknownSend(Read(reader), sentAs, SqliteExtensions.FromDbTime(reader.GetString(10))));
        }

        return items;
    }

    /// <summary>An Unknown row goes out again as a normal send (the interrupted attempt still counts).</summary>
    public Task<bool> RequeueUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        ReleaseUnknownAsync(alertId, reason, resetAttempts: false, cancellationToken);

    /// <summary>An Unknown row that is not worth another attempt (they ran out): Failed, with the reason.</summary>
    public Task GiveUpUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        SetAsync(alertId, "Failed", null, reason, null, cancellationToken);

    /// <summary>The probe could not answer for now: ask again after <paramref name="delay"/>.</summary>
    public Task RecheckLaterAsync(Guid alertId, string reason, TimeSpan delay, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return WriteAsync(connection => connection.Command(
                "UPDATE alert_outbox SET last_error = $reason, next_attempt_at = $due, updated_at = $now WHERE alert_id = $id AND status = 'Unknown'")
            .With("$reason", reason).With("$due", (now + delay).ToDbTime()).With("$now", now.ToDbTime()).With("$id", Id(alertId))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Nothing can settle this row automatically: it stays Unknown until an operator releases it.</summary>
    public Task HoldAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        WriteAsync(connection => connection.Command(
                "UPDATE alert_outbox SET held_reason = $reason, last_error = $reason, updated_at = $now WHERE alert_id = $id AND status = 'Unknown'")
            .With("$reason", reason).With("$now", time.GetUtcNow().ToDbTime()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken), cancellationToken);

    /// <summary><c>alerts resend</c>: an operator looked and wants an Unknown alert sent again, knowing it may then show twice.</summary>
    /// <returns>The outcome, and the row's status when it was not released.</returns>
    public async Task<(ReleaseOutcome Outcome, string? Status)> ReleaseByOperatorAsync(Guid alertId, string operatorId, CancellationToken cancellationToken)
    {
        if (await ReleaseUnknownAsync(alertId, $"released for resending by operator {operatorId}", resetAttempts: true, cancellationToken))
            return (ReleaseOutcome.Released, null);

        await using var connection = await database.OpenAsync(cancellationToken);
        var status = await connection.Command("SELECT status FROM alert_outbox WHERE alert_id = $id").With("$id", Id(alertId))
            .ExecuteScalarAsync(cancellationToken) as string;
        return (status is null ? ReleaseOutcome.NoSuchAlert : ReleaseOutcome.NotUnknown, status);
    }

    /// <summary>Not this row's turn yet (its card isn't delivered): back to Pending without using up an attempt.</summary>
    public Task DeferAsync(Guid alertId, TimeSpan delay, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // A row whose send had begun is never deferred: whether it arrived is unknown.
        return WriteAsync(connection => connection.Command("""
            UPDATE alert_outbox SET status = 'Pending', attempts = max(attempts - 1, 0), next_attempt_at = $next, lease_until = NULL, updated_at = $now
            WHERE alert_id = $id AND status = 'Sending' AND send_started_at IS NULL
            """).With("$next", (now + delay).ToDbTime()).With("$now", now.ToDbTime()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken),
            cancellationToken);
    }

    /// <summary>
    /// The card already in this conversation for this party and conflict (the delivered Alert's, else the latest
    /// delivered Update that had to post a new card), with the row that posted it.
    /// </summary>
    public async Task<DeliveredCard?> FindDeliveredCardAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // The poster is the first row carrying that activity id; later rows only updated the card in place.
        await using var reader = await connection.Command($"""
            WITH place AS (SELECT * FROM alert_outbox WHERE {SamePlace} AND status = 'Delivered' AND connector_activity_id IS NOT NULL),
                 card AS (SELECT connector_activity_id AS id FROM place ORDER BY kind = 'Alert' DESC, revision DESC LIMIT 1)
            SELECT place.connector_activity_id, place.alert_id FROM place JOIN card ON place.connector_activity_id = card.id
            ORDER BY place.kind = 'Alert' DESC, place.revision, place.created_at LIMIT 1
            """).WithPlace(item).ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new DeliveredCard(reader.GetString(0), Guid.Parse(reader.GetString(1))) : null;
    }

    /// <summary>
    /// True while a first card for this place may still appear: its Alert is on its way or unresolved (Pending,
    /// Sending, Unknown), or another post there is Unknown. An Update must wait, or it would post a second card.
    /// </summary>
    public async Task<bool> HasAlertInFlightAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var count = (long)(await connection.Command($"""
            SELECT count(*) FROM alert_outbox
            WHERE {SamePlace} AND alert_id <> $self
              AND ((kind = 'Alert' AND status IN ('Pending', 'Sending', 'Unknown')) OR (status = 'Unknown' AND sent_as IS NOT 'Update'))
            """).WithPlace(item).With("$self", Id(item.AlertId)).ExecuteScalarAsync(cancellationToken))!;
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
    public Task<int> PromoteWaitingAsync(OutboxItem waiting, IReadOnlyList<StoredConversationReference> places, CancellationToken cancellationToken)
    {
        if (places.Count == 0) return Task.FromResult(0);
        var now = time.GetUtcNow().ToDbTime();
        return WriteAsync(async connection =>
        {
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
        }, cancellationToken);
    }

    /// <param name="partnerId">Only this party's rows; null for all.</param>
    /// <param name="recentProblems">How many problem rows to list: held ones first (they need someone), then the latest.</param>
    public async Task<AlertStatusReport> GetStatusAsync(string? partnerId, int recentProblems, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var held = 0;
        await using (var reader = await connection.Command("""
            SELECT status, count(*), count(held_reason) FROM alert_outbox WHERE $party IS NULL OR party_partner_id = $party GROUP BY status
            """).With("$party", partnerId).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
                if (reader.GetString(0) == "Unknown") held = reader.GetInt32(2);
            }
        }

        var problems = new List<AlertFailure>();
        await using (var reader = await connection.Command("""
            SELECT alert_id, conflict_id, party_partner_id, status, target_conversation_id, coalesce(held_reason, last_error), updated_at, held_reason IS NOT NULL
            FROM alert_outbox
            WHERE ($party IS NULL OR party_partner_id = $party) AND status IN ('Failed', 'Undeliverable', 'Unknown')
            ORDER BY held_reason IS NOT NULL DESC, updated_at DESC LIMIT $max
            """).With("$party", partnerId).With("$max", recentProblems).ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                problems.Add(new AlertFailure(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                    reader.GetNullableString(4), reader.GetNullableString(5), SqliteExtensions.FromDbTime(reader.GetString(6)), reader.GetInt64(7) != 0));
            }
        }

        return new AlertStatusReport(counts, problems, held);
    }

    private Task<bool> ReleaseUnknownAsync(Guid alertId, string reason, bool resetAttempts, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToDbTime();
        return WriteAsync(async connection => await connection.Command("""
            UPDATE alert_outbox SET status = 'Pending', attempts = CASE WHEN $reset THEN 0 ELSE attempts END, held_reason = NULL, sent_as = NULL,
                   send_started_at = NULL, next_attempt_at = $now, last_error = $reason, updated_at = $now
            WHERE alert_id = $id AND status = 'Unknown'
            """).With("$reset", resetAttempts ? 1 : 0).With("$now", now).With("$reason", reason).With("$id", Id(alertId))
            .ExecuteNonQueryAsync(cancellationToken) == 1, cancellationToken);
    }

    /// <param name="alertId">That row only, whatever its lease; null for every row whose lease ran out.</param>
    private Task<ParkedLeases> ParkAsync(Guid? alertId, string neverSentReason, string unknownReason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var which = alertId is null ? "lease_until < $now" : "alert_id = $id";
        return WriteAsync(async connection =>
        {
            await using var transaction = connection.BeginTransaction();
            var neverSent = await connection.Command($"""
                UPDATE alert_outbox SET status = 'Pending', attempts = max(attempts - 1, 0), lease_until = NULL, next_attempt_at = $now,
                       last_error = $reason, updated_at = $now
                WHERE status = 'Sending' AND {which} AND send_started_at IS NULL
                """, transaction).With("$reason", neverSentReason).With("$now", now.ToDbTime()).With("$id", alertId is { } id ? Id(id) : null)
                .ExecuteNonQueryAsync(cancellationToken);

            var interrupted = new List<(string Id, string? SentAs, DateTimeOffset StartedAt)>();
            await using (var reader = await connection.Command($"SELECT alert_id, sent_as, send_started_at FROM alert_outbox WHERE status = 'Sending' AND {which}", transaction)
                .With("$now", now.ToDbTime()).With("$id", alertId is { } key ? Id(key) : null).ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    interrupted.Add((reader.GetString(0), reader.GetNullableString(1), SqliteExtensions.FromDbTime(reader.GetString(2))));
            }

            foreach (var (rowId, sentAs, startedAt) in interrupted)
            {
                var due = sentAs == nameof(SendKind.Update) ? now : startedAt + options.Value.ReconcileAfter;
                await connection.Command("""
                    UPDATE alert_outbox SET status = 'Unknown', last_error = $reason, lease_until = NULL, next_attempt_at = $due, updated_at = $now
                    WHERE alert_id = $id AND status = 'Sending'
                    """, transaction).With("$reason", unknownReason).With("$due", due.ToDbTime()).With("$now", now.ToDbTime()).With("$id", rowId)
                    .ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new ParkedLeases(neverSent, interrupted.Count);
        }, cancellationToken);
    }

    private Task<int> SetAsync(Guid alertId, string status, string? activityId, string? reason, DateTimeOffset? nextAttempt, CancellationToken cancellationToken,
        bool onlyIfNotSent = false) =>
        // Only a row this worker holds, or an Unknown one being settled, changes.
        WriteAsync(connection => connection.Command("""
            UPDATE alert_outbox SET status = $status, connector_activity_id = coalesce($activity, connector_activity_id), held_reason = NULL,
                   last_error = coalesce($reason, last_error), next_attempt_at = coalesce($next, next_attempt_at), lease_until = NULL, updated_at = $now
            WHERE alert_id = $id AND status IN ('Sending', 'Unknown') AND ($unsentOnly = 0 OR send_started_at IS NULL)
            """)
            .With("$unsentOnly", onlyIfNotSent ? 1 : 0).With("$status", status).With("$activity", activityId).With("$reason", reason).With("$next", nextAttempt?.ToDbTime())
            .With("$now", time.GetUtcNow().ToDbTime()).With("$id", Id(alertId)).ExecuteNonQueryAsync(cancellationToken), cancellationToken);

    /// <summary>One write to the outbox, queued behind the others of this process (see <see cref="_writes"/>).</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            return await write(connection);
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

internal static class OutboxCommandExtensions
{
    /// <summary>Binds the parameters of the place (conflict, party, target conversation) an outbox row is about.</summary>
    public static SqliteCommand WithPlace(this SqliteCommand command, OutboxItem item) => command
        .With("$conflict", item.ConflictId.ToString("D", CultureInfo.InvariantCulture)).With("$party", item.PartyPartnerId)
        .With("$tenant", item.TenantId).With("$conversation", item.ConversationId).With("$user", item.UserAadObjectId);
}
