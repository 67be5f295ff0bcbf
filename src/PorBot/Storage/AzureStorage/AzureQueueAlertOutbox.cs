using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using PorBot.Conflicts;
using PorBot.Conversations;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// The alert outbox shared by several instances: rows in the <c>AlertOutbox</c> table (the state, as in SQLite), and
/// a queue whose messages say when a row needs looking at. Every change of a row is conditional on the ETag it was
/// read with; a 412 means another instance changed it, so the row is read again and the change judged again (a lease
/// then finds the row no longer due and returns null): that, not the queue, is what keeps two instances from sending
/// one alert. The queue only spreads the work and wakes it up on time.
/// <list type="bullet">
/// <item>Every row that needs attention (Pending, Sending, Unknown) has a message, hidden until the row is due:
/// Pending at its next attempt, Unknown at its reconciliation, Sending until its lease has run out (so a dead
/// instance's row reappears to another one, which parks it as an expired lease). Settled rows' messages are deleted.
/// Waiting rows have none: a small index lists them.</item>
/// <item>A message is sent before its row is written (and an index row before both): once a row exists, it has its
/// message, whenever the process dies. A message that arrives before its row is put back for a moment; one whose row
/// never came is poison. A crash after the message leaves no row, and the caller's retry adds it (idempotently).</item>
/// <item>A received message stays with this instance (hidden from the others) while its row is due soon: the
/// dispatcher reads ahead and leases later, and the reconciler and retries want the same rows back a moment later.
/// A message whose row is due later goes back to the queue, visible at that time.</item>
/// <item>A message that cannot be processed (unreadable, no row, a row that cannot be read) is retried with back-off
/// and, after <see cref="QueuePolicy.MaxFailures"/> failures counted in the message itself, moved to the poison queue
/// with its reason, its row (if any) marked Failed with that reason: kept, and shown by <c>alerts status</c>.</item>
/// </list>
/// Costs: a send is a few point operations (read, lease, begin, outcome, message update and delete); nothing scans
/// the table except <see cref="GetStatusAsync"/> (operators and partners asking for status) and one look for
/// left-over leases when the process starts.
/// </summary>
public sealed partial class AzureQueueAlertOutbox : IAlertOutbox, IAsyncDisposable
{
    private const int MessagesPerReceive = 32;
    private const int MaxReceiveRounds = 8;
    private const int MaxTransactionRows = 100;
    private const int MaxCachedRows = 20_000;
    private const int MaxPoisonTextLength = 16_000;
    private const string WaitingPartition = "waiting";

    // The alert id index: partition = alert id, this row key, the conflict id (the row's partition) as its value.
    private const string IndexRowKey = "conflict";

    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly TableClient _table;
    private readonly TableClient _index;
    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private readonly TimeProvider _time;
    private readonly AlertDeliveryOptions _options;
    private readonly QueuePolicy _policy;
    private readonly ILogger _logger;
    private readonly TimeSpan _keep;
    private readonly int _maxHeld;

    // Rows as last read or written here, with their ETags: a hint that saves a read; every write is still conditional.
    private readonly ConcurrentDictionary<Guid, AlertOutboxRow> _rows = new();

    // Messages this instance received and keeps hidden from the others, by alert id.
    private readonly ConcurrentDictionary<Guid, HeldMessage> _held = new();

    // Rows this instance leased and has not settled yet, as its lease wrote them (BeginSend is checked against that ETag).
    private readonly ConcurrentDictionary<Guid, AlertOutboxRow> _leased = new();
    private readonly SemaphoreSlim _receiving = new(1, 1);
    private int _parkedNeverSent;
    private int _parkedUnknown;
    private int _leasesScanned;

    public AzureQueueAlertOutbox(AzureStorageClients clients, TimeProvider time, IOptions<AlertDeliveryOptions> options, ILogger<AzureQueueAlertOutbox> logger)
        : this(clients, time, options, logger, QueuePolicy.Default)
    {
    }

    internal AzureQueueAlertOutbox(AzureStorageClients clients, TimeProvider time, IOptions<AlertDeliveryOptions> options, ILogger logger, QueuePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(options);
        _table = clients.Table(AzureTableNames.AlertOutbox);
        _index = clients.Table(AzureTableNames.AlertOutboxIndex);
        _queue = clients.AlertQueue;
        _poison = clients.AlertPoisonQueue;
        _time = time;
        _options = options.Value;
        _policy = policy;
        _logger = logger;
        _keep = _options.LeaseDuration / 2;
        _maxHeld = Math.Max(2 * _options.BatchSize, 64);
    }

    public async Task<int> EnqueueAsync(IReadOnlyList<NewAlert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var added = 0;
        foreach (var conflict in alerts.DistinctBy(a => a.AlertId).GroupBy(a => a.ConflictId))
        {
            // Rows already there keep their state and their message: only missing ones are written (and woken).
            var existing = await ExistingAlertIdsAsync(conflict.Key, cancellationToken);
            var now = _time.GetUtcNow();
            added += await CreateAsync([.. conflict.Where(a => !existing.Contains(a.AlertId)).Select(a => AlertOutboxRow.New(a, now))], cancellationToken);
        }

        return added;
    }

    public async Task<IReadOnlyList<OutboxItem>> ListDueAsync(int max, IReadOnlyCollection<string> skipConversations, IReadOnlyCollection<string> skipTenants,
        CancellationToken cancellationToken)
    {
        var conversations = skipConversations.ToHashSet(StringComparer.Ordinal);
        var tenants = skipTenants.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var due = await CollectAsync(max,
            (row, now) => row.Status == OutboxStatus.Pending && row.NextAttemptAt <= now
                && !conversations.Contains(row.ConversationId ?? "") && !tenants.Contains(row.TenantId ?? ""),
            rows => rows.OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Revision).ThenBy(r => r.CreatedAt),
            cancellationToken);
        return [.. due.Select(r => r.ToItem())];
    }

    public async Task<OutboxItem?> TryLeaseAsync(Guid alertId, CancellationToken cancellationToken)
    {
        var row = await ChangeAsync(alertId, (r, now) => r.Status == OutboxStatus.Pending && r.NextAttemptAt <= now, (r, now) =>
        {
            r.Status = OutboxStatus.Sending;
            r.LeaseUntil = now + _options.LeaseDuration;
            r.Attempts++;
            r.SendStartedAt = null;
            r.SentAs = null;
        }, cancellationToken);
        if (row is null)
        {
            await AfterChangeAsync(alertId, null);
            return null;
        }

        _leased[alertId] = row;
        await AfterChangeAsync(alertId, row);
        return row.ToItem();
    }

    public async Task<bool> BeginSendAsync(Guid alertId, SendKind kind, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        // Against the ETag of this instance's own lease, never re-read: if the lease ran out and someone else took the
        // row (even to lease it again), this worker must not send it.
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Sending, (r, _) =>
        {
            r.SendStartedAt = startedAt;
            r.SentAs = kind.ToString();
        }, cancellationToken, basis: _leased.TryGetValue(alertId, out var lease) ? lease : null);
        if (row is null)
        {
            _leased.TryRemove(alertId, out _);
            await AfterChangeAsync(alertId, null);
        }
        else if (_leased.ContainsKey(alertId))
        {
            _leased[alertId] = row;
        }

        return row is not null;
    }

    /// <summary>
    /// Rows left in Sending by a stopped process. At the first call a look through the table (the only time the
    /// lease check reads more than a row) settles what a previous run left; after that the queue brings them back:
    /// a leased row's message reappears once its lease has run out, and the instance that receives it parks it.
    /// The counts include what was parked that way since the last call.
    /// </summary>
    public async Task<ParkedLeases> ParkExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _leasesScanned, 1) == 0)
        {
            try
            {
                await ParkLeftOverLeasesAsync(cancellationToken);
            }
            catch
            {
                Volatile.Write(ref _leasesScanned, 0);
                throw;
            }
        }

        var now = _time.GetUtcNow();
        foreach (var id in _leased.Keys.Concat(_held.Keys).Distinct().ToList())
        {
            if (_rows.TryGetValue(id, out var row) && row.Status == OutboxStatus.Sending && row.LeaseUntil < now) await ParkExpiredAsync(id, cancellationToken);
        }

        return new ParkedLeases(Interlocked.Exchange(ref _parkedNeverSent, 0), Interlocked.Exchange(ref _parkedUnknown, 0));
    }

    public async Task<ParkedLeases> ParkInterruptedAsync(Guid alertId, string reason, CancellationToken cancellationToken)
    {
        var row = await ParkAsync(alertId, $"{reason} before it was sent", $"{reason} mid-send; outcome unknown", onlyExpired: false, cancellationToken);
        if (row is null) return default;
        // Given up here (often because this instance is stopping): another instance may take it at once.
        await AfterChangeAsync(alertId, row, handBack: true);
        return row.Status == OutboxStatus.Pending ? new ParkedLeases(1, 0) : new ParkedLeases(0, 1);
    }

    public Task MarkDeliveredAsync(Guid alertId, string? activityId, CancellationToken cancellationToken) =>
        SetAsync(alertId, OutboxStatus.Delivered, activityId, null, null, cancellationToken);

    public Task MarkUndeliverableAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        SetAsync(alertId, OutboxStatus.Undeliverable, null, reason, null, cancellationToken);

    public Task RescheduleAsync(OutboxItem item, string reason, CancellationToken cancellationToken, TimeSpan? notBefore = null, bool onlyIfNotSent = false)
    {
        ArgumentNullException.ThrowIfNull(item);
        var o = _options;
        if (item.Attempts >= o.MaxAttempts)
            return SetAsync(item.AlertId, OutboxStatus.Failed, null, $"{reason} (gave up after {item.Attempts} attempts)", null, cancellationToken, onlyIfNotSent);
        var exponential = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(item.Attempts - 1, 16));
        var capped = Math.Min(exponential, o.RetryMaxDelay.TotalMilliseconds);
        // Full jitter in [½, 1] of the delay, as in SQLite: retries of many rows don't hit the connector in lockstep.
        var delay = TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
        if (notBefore > delay) delay = notBefore.Value;
        return SetAsync(item.AlertId, OutboxStatus.Pending, null, reason, _time.GetUtcNow() + delay, cancellationToken, onlyIfNotSent);
    }

    public async Task MarkUnknownAsync(Guid alertId, string reason, DateTimeOffset sendStartedAt, CancellationToken cancellationToken)
    {
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Sending, (r, _) =>
        {
            r.Status = OutboxStatus.Unknown;
            r.LastError = reason;
            r.LeaseUntil = null;
            r.NextAttemptAt = sendStartedAt + _options.ReconcileAfter;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
    }

    public async Task<IReadOnlyList<UnknownSend>> ListUnknownDueAsync(int max, CancellationToken cancellationToken)
    {
        var due = await CollectAsync(max, (row, now) => row.Status == OutboxStatus.Unknown && row.HeldReason is null && row.NextAttemptAt <= now,
            rows => rows.OrderBy(r => r.NextAttemptAt), cancellationToken);
        return [.. due.Select(r => new UnknownSend(r.ToItem(), r.SentAs is { } kind ? Enum.Parse<SendKind>(kind) : null, r.SendStartedAt ?? r.CreatedAt))];
    }

    public Task<bool> RequeueUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        ReleaseUnknownAsync(alertId, reason, resetAttempts: false, cancellationToken);

    public Task GiveUpUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken) =>
        SetAsync(alertId, OutboxStatus.Failed, null, reason, null, cancellationToken);

    public async Task RecheckLaterAsync(Guid alertId, string reason, TimeSpan delay, CancellationToken cancellationToken)
    {
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Unknown, (r, now) =>
        {
            r.LastError = reason;
            r.NextAttemptAt = now + delay;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
    }

    public async Task HoldAsync(Guid alertId, string reason, CancellationToken cancellationToken)
    {
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Unknown, (r, _) =>
        {
            r.HeldReason = reason;
            r.LastError = reason;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
    }

    public async Task<(ReleaseOutcome Outcome, string? Status)> ReleaseByOperatorAsync(Guid alertId, string operatorId, CancellationToken cancellationToken)
    {
        if (await ReleaseUnknownAsync(alertId, $"released for resending by operator {operatorId}", resetAttempts: true, cancellationToken))
            return (ReleaseOutcome.Released, null);
        var row = await LoadAsync(alertId, cancellationToken);
        return (row is null ? ReleaseOutcome.NoSuchAlert : ReleaseOutcome.NotUnknown, row?.Status);
    }

    public async Task DeferAsync(Guid alertId, TimeSpan delay, CancellationToken cancellationToken)
    {
        // A row whose send had begun is never deferred: whether it arrived is unknown.
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Sending && r.SendStartedAt is null, (r, now) =>
        {
            r.Status = OutboxStatus.Pending;
            r.Attempts = Math.Max(r.Attempts - 1, 0);
            r.NextAttemptAt = now + delay;
            r.LeaseUntil = null;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
    }

    public async Task<DeliveredCard?> FindDeliveredCardAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var place = (await PlaceRowsAsync(item, cancellationToken))
            .Where(r => r.Status == OutboxStatus.Delivered && r.ActivityId is not null).ToList();
        // As in SQLite: the delivered Alert's card, else the latest Update that had to post one; its poster is the first row carrying it.
        var card = place.OrderByDescending(r => r.Kind == AlertKinds.Alert).ThenByDescending(r => r.Revision).FirstOrDefault();
        if (card is null) return null;
        var poster = place.Where(r => r.ActivityId == card.ActivityId)
            .OrderByDescending(r => r.Kind == AlertKinds.Alert).ThenBy(r => r.Revision).ThenBy(r => r.CreatedAt).First();
        return new DeliveredCard(card.ActivityId!, poster.GetAlertId());
    }

    public async Task<bool> HasAlertInFlightAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var self = AlertOutboxRow.Key(item.AlertId);
        return (await PlaceRowsAsync(item, cancellationToken)).Any(r => r.RowKey != self
            && ((r.Kind == AlertKinds.Alert && r.Status is OutboxStatus.Pending or OutboxStatus.Sending or OutboxStatus.Unknown)
                || (r.Status == OutboxStatus.Unknown && r.SentAs != nameof(SendKind.Update))));
    }

    /// <summary>Waiting rows, oldest first, from their index (which holds all an item needs: no row is read).</summary>
    public async Task<IReadOnlyList<OutboxItem>> ListWaitingAsync(int max, CancellationToken cancellationToken)
    {
        var items = new List<OutboxItem>();
        await foreach (var entry in _index.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {WaitingPartition}"), cancellationToken: cancellationToken))
        {
            if (items.Count >= max) break;
            items.Add(new OutboxItem(Guid.Parse(entry.GetString("AlertId")), Guid.Parse(entry.GetString("ConflictId")), entry.GetString("Kind"),
                entry.GetInt32("Revision") ?? 0, entry.GetString("PartyPartnerId"), null, null, null, 0));
        }

        return items;
    }

    /// <summary>
    /// Replaces a Waiting row by one Pending row per place. Each new row's id is the one <see cref="EnqueueAsync"/>
    /// would give the same alert for that place, so promoting twice (a crash half-way, two instances at once) adds
    /// each place once; the Waiting row goes last, guarded by its ETag. Unlike SQLite no row keeps the Waiting row's
    /// id: with more than one writer, a reused id could name different places in different instances.
    /// </summary>
    public async Task<int> PromoteWaitingAsync(OutboxItem waiting, IReadOnlyList<StoredConversationReference> places, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        ArgumentNullException.ThrowIfNull(places);
        if (places.Count == 0) return 0;
        var row = await ReadAsync(waiting.ConflictId, waiting.AlertId, cancellationToken);
        if (row is null || row.Status != OutboxStatus.Waiting)
        {
            await DropStaleWaitingEntryAsync(waiting, row, cancellationToken);
            return 0;
        }

        var now = _time.GetUtcNow();
        var existing = await ExistingAlertIdsAsync(waiting.ConflictId, cancellationToken);
        var rows = places.Select(p => new NewAlert(waiting.ConflictId, waiting.Kind, waiting.Revision, waiting.PartyPartnerId, p))
            .DistinctBy(a => a.AlertId).Where(a => !existing.Contains(a.AlertId)).Select(a => AlertOutboxRow.New(a, now)).ToList();
        var added = await CreateAsync(rows, cancellationToken);
        try
        {
            await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Another instance promoted it at the same time: the places both saw have one row each.
        }

        _rows.TryRemove(waiting.AlertId, out _);
        await DeleteQuietlyAsync(_index, WaitingPartition, WaitingKey(row), cancellationToken);
        return added;
    }

    /// <summary>
    /// Counts by status and the latest problems: a scan of the table (filtered by party when given). Only people
    /// asking for <c>alerts status</c> pay for it. Operators also see how many messages are in the poison queue.
    /// </summary>
    public async Task<AlertStatusReport> GetStatusAsync(string? partnerId, int recentProblems, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var held = 0;
        var problems = new List<AlertFailure>();
        var filter = partnerId is null ? null : TableClient.CreateQueryFilter($"PartyPartnerId eq {partnerId}");
        string[] columns = ["PartitionKey", "RowKey", "PartyPartnerId", "Status", "ConversationId", "LastError", "HeldReason", "UpdatedAt"];
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            var status = e.GetString("Status") ?? "";
            counts[status] = counts.GetValueOrDefault(status) + 1;
            var heldReason = e.GetString("HeldReason");
            if (status == OutboxStatus.Unknown && heldReason is not null) held++;
            if (status is OutboxStatus.Failed or OutboxStatus.Undeliverable or OutboxStatus.Unknown)
            {
                problems.Add(new AlertFailure(Guid.Parse(e.RowKey), Guid.Parse(e.PartitionKey), e.GetString("PartyPartnerId") ?? "", status, e.GetString("ConversationId"),
                    heldReason ?? e.GetString("LastError"), e.GetDateTimeOffset("UpdatedAt") ?? default, heldReason is not null));
            }
        }

        if (partnerId is null)
        {
            var poison = await _poison.GetPropertiesAsync(cancellationToken);
            if (poison.Value.ApproximateMessagesCount > 0) counts[PoisonStatus] = poison.Value.ApproximateMessagesCount;
        }

        var recent = problems.OrderByDescending(p => p.Held).ThenByDescending(p => p.UpdatedAt).Take(recentProblems).ToList();
        return new AlertStatusReport(counts, recent, held);
    }

    /// <summary>The key <see cref="GetStatusAsync"/> counts the poison queue's messages under.</summary>
    public const string PoisonStatus = "Poison";

    /// <summary>Hands the messages this instance holds back to the queue, so other instances need not wait for them.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var now = _time.GetUtcNow();
        foreach (var (alertId, held) in _held.ToList())
        {
            if (_leased.ContainsKey(alertId) || !_rows.TryGetValue(alertId, out var row) || WakeAt(row, now) is not { } wake) continue;
            try
            {
                await _queue.UpdateMessageAsync(held.MessageId, held.PopReceipt, held.Body.ToJson(), Visibility(wake - now), timeout.Token);
            }
#pragma warning disable CA1031 // Best effort: the message reappears by itself once its visibility runs out.
            catch (Exception)
#pragma warning restore CA1031
            {
                break;
            }
        }

        _held.Clear();
        _receiving.Dispose();
    }

    /// <summary>Copies rows from SQLite as they are (migrate-to-azure): rows already in Azure are left alone; copied rows that need work get their message.</summary>
    /// <returns>How many were copied (and how many of those were queued), and how many were there already.</returns>
    internal async Task<(int Copied, int Queued, int AlreadyThere)> ImportAsync(IReadOnlyList<AlertOutboxRow> rows, CancellationToken cancellationToken)
    {
        var copied = 0;
        var queued = 0;
        var alreadyThere = 0;
        foreach (var conflict in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            var existing = await ExistingAlertIdsAsync(Guid.Parse(conflict.Key), cancellationToken);
            var missing = conflict.Where(r => !existing.Contains(r.GetAlertId())).ToList();
            alreadyThere += conflict.Count() - missing.Count;
            copied += await CreateAsync(missing, cancellationToken);
            queued += missing.Count(r => WakeAt(r, _time.GetUtcNow()) is not null);
        }

        return (copied, queued, alreadyThere);
    }

    /// <summary>
    /// Writes new rows: per chunk, index rows and wake-up messages first, then the rows in one transaction (a chunk
    /// is one partition). Once a row exists its message does too. A row someone else added meanwhile is left as it is.
    /// </summary>
    private async Task<int> CreateAsync(IReadOnlyList<AlertOutboxRow> rows, CancellationToken cancellationToken)
    {
        var added = 0;
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(MaxTransactionRows))
            {
                var now = _time.GetUtcNow();
                await Parallel.ForEachAsync(chunk, Parallelism(cancellationToken), async (row, ct) =>
                {
                    await _index.UpsertEntityAsync(IndexEntry(row), TableUpdateMode.Replace, ct);
                    if (row.Status == OutboxStatus.Waiting) await _index.UpsertEntityAsync(WaitingEntry(row), TableUpdateMode.Replace, ct);
                    else if (WakeAt(row, now) is { } wake) await SendMessageAsync(row, wake - now, ct);
                });
                added += await InsertAsync(chunk, cancellationToken);
            }
        }

        return added;
    }

    private async Task<int> InsertAsync(AlertOutboxRow[] rows, CancellationToken cancellationToken)
    {
        try
        {
            if (rows.Length == 1) await _table.AddEntityAsync(rows[0], cancellationToken);
            else await _table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)), cancellationToken);
            return rows.Length;
        }
        catch (RequestFailedException ex) when (ex.Status == 409 && rows.Length > 1)
        {
            // One of them was added meanwhile (the same alerts queued twice at once): the rest one by one.
            var added = 0;
            foreach (var row in rows)
            {
                try
                {
                    await _table.AddEntityAsync(row, cancellationToken);
                    added++;
                }
                catch (RequestFailedException one) when (one.Status == 409)
                {
                }
            }

            return added;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return 0;
        }
    }

    /// <summary>
    /// The held rows that <paramref name="wanted"/> picks, after receiving more messages if too few are held; the
    /// ones returned stay hidden from other instances for at least half a lease (the caller leases them soon).
    /// </summary>
    private async Task<List<AlertOutboxRow>> CollectAsync(int max, Func<AlertOutboxRow, DateTimeOffset, bool> wanted,
        Func<IEnumerable<AlertOutboxRow>, IEnumerable<AlertOutboxRow>> order, CancellationToken cancellationToken)
    {
        ForgetReturnedMessages();
        await ReceiveAsync(() => max - HeldRows(wanted).Count, cancellationToken);
        var picked = order(HeldRows(wanted)).Take(max).ToList();
        if (picked.Count < max && _held.Count >= _maxHeld) await MakeRoomAsync(wanted, cancellationToken);
        foreach (var row in picked)
        {
            var id = row.GetAlertId();
            if (_held.TryGetValue(id, out var held) && held.HiddenUntil - RealNow < Milliseconds(_keep) && _held.TryRemove(id, out held))
            {
                if (await UpdateMessageAsync(held, _options.LeaseDuration, cancellationToken) is { } extended) _held[id] = extended;
            }
        }

        return picked;
    }

    /// <summary>
    /// The held messages are as many as this instance keeps, yet too few are wanted now (their conversations are held
    /// back by send limits here, or their rows are not due yet): some go back to the queue, visible when their rows are
    /// due (at the earliest after a poll), for whichever instance can use them.
    /// </summary>
    private async Task MakeRoomAsync(Func<AlertOutboxRow, DateTimeOffset, bool> wanted, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var unwanted = _held.Keys.Where(id => !_leased.ContainsKey(id) && (!_rows.TryGetValue(id, out var row) || !wanted(row, now))).Take(MessagesPerReceive).ToList();
        foreach (var id in unwanted)
        {
            if (!_held.TryRemove(id, out var held)) continue;
            var wake = _rows.TryGetValue(id, out var row) ? WakeAt(row, now) : null;
            var wait = wake is { } due && due - now > _options.PollInterval ? due - now : _options.PollInterval;
            await UpdateMessageAsync(held, wait, cancellationToken);
        }
    }

    private List<AlertOutboxRow> HeldRows(Func<AlertOutboxRow, DateTimeOffset, bool> wanted)
    {
        var now = _time.GetUtcNow();
        var rows = new List<AlertOutboxRow>();
        foreach (var id in _held.Keys)
        {
            if (_rows.TryGetValue(id, out var row) && wanted(row, now)) rows.Add(row);
        }

        return rows;
    }

    // A held message whose visibility ran out is back in the queue (its pop receipt no longer counts once someone
    // receives it); a row this instance leased keeps its message hidden past the lease, so it is never among them.
    private void ForgetReturnedMessages()
    {
        var now = RealNow;
        foreach (var (id, held) in _held)
        {
            if (held.HiddenUntil <= now && !_leased.ContainsKey(id)) _held.TryRemove(new KeyValuePair<Guid, HeldMessage>(id, held));
        }
    }

    private async Task ReceiveAsync(Func<int> wanted, CancellationToken cancellationToken)
    {
        await _receiving.WaitAsync(cancellationToken);
        try
        {
            var visibility = _options.LeaseDuration < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : _options.LeaseDuration;
            for (var round = 0; round < MaxReceiveRounds; round++)
            {
                var count = Math.Min(Math.Min(MessagesPerReceive, _maxHeld - _held.Count), wanted());
                if (count <= 0) return;
                var hiddenUntil = RealNow + Milliseconds(visibility);
                var messages = (await _queue.ReceiveMessagesAsync(count, visibility, cancellationToken)).Value;
                await Parallel.ForEachAsync(messages, Parallelism(cancellationToken), async (message, ct) => await TriageAsync(message, hiddenUntil, ct));
                if (messages.Length < count) return;
            }
        }
        finally
        {
            _receiving.Release();
        }
    }

    /// <summary>A received message: its row decides whether this instance keeps it, hands it back until the row is due, or deletes it.</summary>
    private async Task TriageAsync(QueueMessage message, long hiddenUntil, CancellationToken cancellationToken)
    {
        if (!OutboxMessage.TryParse(message.MessageText, out var body))
        {
            await PoisonAsync(message.MessageId, message.PopReceipt, message.MessageText, null, "it is not an alert outbox message (it cannot be read)", cancellationToken);
            return;
        }

        var held = new HeldMessage(message.MessageId, message.PopReceipt, body, hiddenUntil);
        try
        {
            var row = await ReadAsync(body.ConflictId, body.AlertId, cancellationToken);
            if (row is null)
            {
                // Messages go out just before their rows: a young one may have overtaken its row. Look again in a moment.
                if (message.InsertedOn is { } inserted && DateTimeOffset.UtcNow - inserted < _policy.RowGrace)
                {
                    await UpdateMessageAsync(held, TimeSpan.FromSeconds(1), cancellationToken);
                    return;
                }

                throw new UnprocessableMessageException("it points at no outbox row");
            }

            if (!OutboxStatus.IsKnown(row.Status)) throw new UnprocessableMessageException($"its row has an unknown status '{row.Status}'");
            if (!OutboxStatus.IsSettled(row.Status)) _ = row.ToItem();

            if (_held.TryGetValue(body.AlertId, out var mine) && mine.MessageId != message.MessageId && mine.HiddenUntil > RealNow)
            {
                // A second message for a row this instance already holds one for (a retried enqueue, a cold change): one is enough.
                await DeleteMessageAsync(held, cancellationToken);
                return;
            }

            if (row.Status == OutboxStatus.Sending && row.LeaseUntil < _time.GetUtcNow())
            {
                // The instance that leased it is gone: settle it as an expired lease, then place the message for what it is now.
                row = await ParkExpiredAsync(body.AlertId, cancellationToken, placeMessage: false) ?? await ReadAsync(body.ConflictId, body.AlertId, cancellationToken);
                if (row is null) return;
            }

            await PlaceMessageAsync(body.AlertId, row, held, handBack: false, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await FailedAsync(held, message.MessageText, ex, cancellationToken);
        }
    }

    /// <summary>
    /// A message could not be processed. Storage errors are transient: it comes back after its visibility and is
    /// tried again, uncounted. Anything else is counted in the message; at <see cref="QueuePolicy.MaxFailures"/> it is poison.
    /// </summary>
    private async Task FailedAsync(HeldMessage held, string text, Exception ex, CancellationToken cancellationToken)
    {
        try
        {
            if (IsTransient(ex))
            {
                LogMessageRetry(ex, held.Body.AlertId);
                return;
            }

            var failures = held.Body.Failures + 1;
            var reason = ex is UnprocessableMessageException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            if (failures >= _policy.MaxFailures)
            {
                await PoisonAsync(held.MessageId, held.PopReceipt, text, held.Body, $"it could not be processed {failures} times; the last time {reason}", cancellationToken);
                return;
            }

            var backoff = TimeSpan.FromTicks(Math.Min(_policy.FailureBackoff.Ticks * (1L << Math.Min(failures - 1, 10)), TimeSpan.FromMinutes(10).Ticks));
            await _queue.UpdateMessageAsync(held.MessageId, held.PopReceipt, (held.Body with { Failures = failures, LastFailure = reason }).ToJson(),
                Visibility(backoff), cancellationToken);
            LogMessageFailed(held.Body.AlertId, failures, reason);
        }
#pragma warning disable CA1031 // Whatever happens here, the message reappears by itself and is tried again.
        catch (Exception inner)
#pragma warning restore CA1031
        {
            LogMessageRetry(inner, held.Body.AlertId);
        }
    }

    /// <summary>Moves a message to the poison queue with the reason, and marks its row (if any) Failed with that reason: nothing is dropped silently.</summary>
    private async Task PoisonAsync(string messageId, string popReceipt, string? text, OutboxMessage? body, string reason, CancellationToken cancellationToken)
    {
        var original = text is { Length: > MaxPoisonTextLength } ? text[..MaxPoisonTextLength] : text;
        var poisoned = JsonSerializer.Serialize(new PoisonedMessage(reason, original, body?.AlertId, body?.ConflictId, DateTimeOffset.UtcNow));
        await _poison.SendMessageAsync(poisoned, TimeSpan.Zero, NeverExpires, cancellationToken);
        if (body is not null)
        {
            var failed = new TableEntity(AlertOutboxRow.Key(body.ConflictId), AlertOutboxRow.Key(body.AlertId))
            {
                ["Status"] = OutboxStatus.Failed,
                ["LastError"] = $"poison message: {reason}",
                ["UpdatedAt"] = _time.GetUtcNow(),
            };
            try
            {
                // A merge: the row may be the very thing that could not be read, so it is not read first.
                await _table.UpdateEntityAsync(failed, ETag.All, TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.IsNotFound())
            {
            }

            _rows.TryRemove(body.AlertId, out _);
            if (_held.TryGetValue(body.AlertId, out var held) && held.MessageId == messageId) _held.TryRemove(new KeyValuePair<Guid, HeldMessage>(body.AlertId, held));
        }

        await DeleteMessageAsync(messageId, popReceipt, cancellationToken);
        LogPoisoned(body?.AlertId, reason, _poison.Name);
    }

    /// <summary>
    /// Puts a row's message where the row needs it: deleted once the row is settled; kept here while the row is due
    /// within half a lease (or leased here: then hidden until the lease runs out); otherwise back in the queue,
    /// visible when the row is due. Without a message in hand, a new one is sent (a duplicate is harmless: it is
    /// dropped when it meets the row's other message here, or once the row is settled).
    /// </summary>
    private async Task PlaceMessageAsync(Guid alertId, AlertOutboxRow row, HeldMessage? held, bool handBack, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (WakeAt(row, now) is not { } wake)
        {
            if (held is not null) await DeleteMessageAsync(held, cancellationToken);
            return;
        }

        var wait = wake - now;
        if (row.Status == OutboxStatus.Sending && _leased.ContainsKey(alertId))
        {
            // A live worker settles its row within half a lease; hidden that long (and a margin), the message cannot
            // reappear while this instance is sending. If it dies, it reappears before the lease ends and is put off until then.
            if (held is not null && held.HiddenUntil - RealNow >= Milliseconds(Min(wait, _keep + _policy.LeaseMargin)))
            {
                _held[alertId] = held;
                return;
            }

            held = held is null ? null : await UpdateMessageAsync(held, wait, cancellationToken);
            held ??= await SendMessageAsync(row, wait, cancellationToken);
            _held[alertId] = held;
            return;
        }

        var soon = !handBack && wait <= _keep && row.Status is OutboxStatus.Pending or OutboxStatus.Unknown;
        if (soon && held is not null)
        {
            _held[alertId] = held;
            return;
        }

        if (held is null || await UpdateMessageAsync(held, wait, cancellationToken) is null) await SendMessageAsync(row, wait, cancellationToken);
    }

    /// <summary>After a change (or a refused one) by this instance: the lease bookkeeping and the row's message follow the row.</summary>
    private async Task AfterChangeAsync(Guid alertId, AlertOutboxRow? row, bool handBack = false)
    {
        try
        {
            if (row is null)
            {
                // Refused: the row is not what this instance thought. If a message for it is held here, place it for what it is now.
                if (!_held.TryRemove(alertId, out var stale)) return;
                row = await LoadAsync(alertId, CancellationToken.None);
                if (row is not null) await PlaceMessageAsync(alertId, row, stale, handBack, CancellationToken.None);
                return;
            }

            if (row.Status != OutboxStatus.Sending) _leased.TryRemove(alertId, out _);
            _held.TryRemove(alertId, out var held);
            await PlaceMessageAsync(alertId, row, held, handBack, CancellationToken.None);
        }
#pragma warning disable CA1031 // The row's change is committed; its message catches up when it next reappears.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogMessageRetry(ex, alertId);
        }
    }

    private async Task<AlertOutboxRow?> SetAsync(Guid alertId, string status, string? activityId, string? reason, DateTimeOffset? nextAttempt,
        CancellationToken cancellationToken, bool onlyIfNotSent = false)
    {
        // Only a row being sent, or an Unknown one being settled, changes.
        var row = await ChangeAsync(alertId, (r, _) => r.Status is OutboxStatus.Sending or OutboxStatus.Unknown && (!onlyIfNotSent || r.SendStartedAt is null), (r, _) =>
        {
            r.Status = status;
            r.ActivityId = activityId ?? r.ActivityId;
            r.HeldReason = null;
            r.LastError = reason ?? r.LastError;
            r.NextAttemptAt = nextAttempt ?? r.NextAttemptAt;
            r.LeaseUntil = null;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
        return row;
    }

    private async Task<bool> ReleaseUnknownAsync(Guid alertId, string reason, bool resetAttempts, CancellationToken cancellationToken)
    {
        var row = await ChangeAsync(alertId, (r, _) => r.Status == OutboxStatus.Unknown, (r, now) =>
        {
            r.Status = OutboxStatus.Pending;
            if (resetAttempts) r.Attempts = 0;
            r.HeldReason = null;
            r.SentAs = null;
            r.SendStartedAt = null;
            r.NextAttemptAt = now;
            r.LastError = reason;
        }, cancellationToken);
        await AfterChangeAsync(alertId, row);
        return row is not null;
    }

    private Task<AlertOutboxRow?> ParkAsync(Guid alertId, string neverSentReason, string unknownReason, bool onlyExpired, CancellationToken cancellationToken) =>
        ChangeAsync(alertId, (r, now) => r.Status == OutboxStatus.Sending && (!onlyExpired || r.LeaseUntil < now), (r, now) =>
        {
            r.LeaseUntil = null;
            if (r.SendStartedAt is null)
            {
                r.Status = OutboxStatus.Pending;
                r.Attempts = Math.Max(r.Attempts - 1, 0);
                r.NextAttemptAt = now;
                r.LastError = neverSentReason;
            }
            else
            {
                // An update in place is redone at once; a post is looked for once a late delivery can no longer land.
                r.Status = OutboxStatus.Unknown;
                r.LastError = unknownReason;
                r.NextAttemptAt = r.SentAs == nameof(SendKind.Update) ? now : r.SendStartedAt.Value + _options.ReconcileAfter;
            }
        }, cancellationToken);

    private async Task<AlertOutboxRow?> ParkExpiredAsync(Guid alertId, CancellationToken cancellationToken, bool placeMessage = true)
    {
        var row = await ParkAsync(alertId, SqliteAlertOutbox.NeverSentReason, SqliteAlertOutbox.UnknownOutcomeReason, onlyExpired: true, cancellationToken);
        if (row is null) return null;
        if (row.Status == OutboxStatus.Pending) Interlocked.Increment(ref _parkedNeverSent);
        else Interlocked.Increment(ref _parkedUnknown);
        _leased.TryRemove(alertId, out _);
        if (placeMessage) await AfterChangeAsync(alertId, row);
        return row;
    }

    /// <summary>Once per process: rows a previous run left in Sending whose lease has run out are parked, and woken here.</summary>
    private async Task ParkLeftOverLeasesAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var expired = new List<Guid>();
        await foreach (var row in _table.QueryAsync<AlertOutboxRow>(TableClient.CreateQueryFilter($"Status eq {OutboxStatus.Sending}"), cancellationToken: cancellationToken))
        {
            if (row.LeaseUntil >= now) continue;
            Remember(row);
            expired.Add(row.GetAlertId());
        }

        foreach (var id in expired) await ParkExpiredAsync(id, cancellationToken);
    }

    /// <summary>
    /// Reads the row, checks <paramref name="allowed"/>, writes the change conditional on the ETag read. On 412 the
    /// row is read again and judged again; with a <paramref name="basis"/> (the row as this instance last wrote it)
    /// the change is made against that version only, and refused if the row changed since.
    /// </summary>
    /// <returns>The row as written; null when the change is not allowed (any more) or the row is gone.</returns>
    private async Task<AlertOutboxRow?> ChangeAsync(Guid alertId, Func<AlertOutboxRow, DateTimeOffset, bool> allowed, Action<AlertOutboxRow, DateTimeOffset> change,
        CancellationToken cancellationToken, AlertOutboxRow? basis = null)
    {
        var strict = basis is not null;
        var row = basis;
        var fromCache = strict || _rows.TryGetValue(alertId, out row);
        if (!fromCache) row = await LoadAsync(alertId, cancellationToken);
        while (row is not null)
        {
            var now = _time.GetUtcNow();
            if (!allowed(row, now))
            {
                if (!fromCache || strict) return null;
                fromCache = false;
                row = await ReadAsync(row.GetConflictId(), alertId, cancellationToken);
                continue;
            }

            var next = row.Clone();
            change(next, now);
            next.UpdatedAt = now;
            try
            {
                var response = await _table.UpdateEntityAsync(next, row.ETag, TableUpdateMode.Replace, cancellationToken);
                next.ETag = response.Headers.ETag ?? default;
                Remember(next);
                return next;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                if (strict) return null;
                fromCache = false;
                row = await ReadAsync(row.GetConflictId(), alertId, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.IsNotFound())
            {
                _rows.TryRemove(alertId, out _);
                return null;
            }
        }

        return null;
    }

    /// <summary>A row by alert id alone: its conflict (the partition) comes from the cache or the id index.</summary>
    private async Task<AlertOutboxRow?> LoadAsync(Guid alertId, CancellationToken cancellationToken)
    {
        if (_rows.TryGetValue(alertId, out var cached)) return await ReadAsync(cached.GetConflictId(), alertId, cancellationToken);
        var entry = await _index.GetEntityIfExistsAsync<TableEntity>(AlertOutboxRow.Key(alertId), IndexRowKey, ["ConflictId"], cancellationToken);
        return entry.HasValue && Guid.TryParse(entry.Value!.GetString("ConflictId"), out var conflictId)
            ? await ReadAsync(conflictId, alertId, cancellationToken)
            : null;
    }

    private async Task<AlertOutboxRow?> ReadAsync(Guid conflictId, Guid alertId, CancellationToken cancellationToken)
    {
        var found = await _table.GetEntityIfExistsAsync<AlertOutboxRow>(AlertOutboxRow.Key(conflictId), AlertOutboxRow.Key(alertId), cancellationToken: cancellationToken);
        if (found.HasValue) return Remember(found.Value!);
        _rows.TryRemove(alertId, out _);
        return null;
    }

    private AlertOutboxRow Remember(AlertOutboxRow row)
    {
        var id = row.GetAlertId();
        _rows[id] = row;
        if (_rows.Count > MaxCachedRows)
        {
            foreach (var key in _rows.Keys)
            {
                if (!_held.ContainsKey(key) && !_leased.ContainsKey(key)) _rows.TryRemove(key, out _);
            }
        }

        return row;
    }

    private async Task<HashSet<Guid>> ExistingAlertIdsAsync(Guid conflictId, CancellationToken cancellationToken)
    {
        var ids = new HashSet<Guid>();
        await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {AlertOutboxRow.Key(conflictId)}"), select: ["RowKey"],
                           cancellationToken: cancellationToken))
        {
            ids.Add(Guid.Parse(e.RowKey));
        }

        return ids;
    }

    /// <summary>The rows of the item's conflict for the same party and conversation (one partition query).</summary>
    private async Task<List<AlertOutboxRow>> PlaceRowsAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var rows = new List<AlertOutboxRow>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AlertOutboxRow.Key(item.ConflictId)} and PartyPartnerId eq {item.PartyPartnerId}");
        await foreach (var row in _table.QueryAsync<AlertOutboxRow>(filter, cancellationToken: cancellationToken))
        {
            if (row.IsSamePlace(item)) rows.Add(row);
        }

        return rows;
    }

    /// <summary>A waiting index entry whose row is gone or no longer Waiting (a crash between the two writes) is removed once it is old enough not to be a row about to be written.</summary>
    private async Task DropStaleWaitingEntryAsync(OutboxItem waiting, AlertOutboxRow? row, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {WaitingPartition} and AlertId eq {AlertOutboxRow.Key(waiting.AlertId)}");
        await foreach (var entry in _index.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row is null && entry.GetDateTimeOffset("CreatedAt") > _time.GetUtcNow() - _policy.RowGrace) continue;
            await DeleteQuietlyAsync(_index, entry.PartitionKey, entry.RowKey, cancellationToken);
        }
    }

    private DateTimeOffset? WakeAt(AlertOutboxRow row, DateTimeOffset now) => row.Status switch
    {
        OutboxStatus.Pending => row.NextAttemptAt,
        OutboxStatus.Unknown => row.HeldReason is null ? row.NextAttemptAt : now + _policy.HeldRecheck,
        OutboxStatus.Sending => (row.LeaseUntil ?? now) + _policy.LeaseMargin,
        // Settled rows need nothing more; Waiting rows are found through their index.
        _ => null,
    };

    private async Task<HeldMessage> SendMessageAsync(AlertOutboxRow row, TimeSpan wait, CancellationToken cancellationToken)
    {
        var body = new OutboxMessage(row.GetAlertId(), row.GetConflictId());
        var visibility = Visibility(wait);
        var hiddenUntil = RealNow + Milliseconds(visibility);
        var receipt = (await _queue.SendMessageAsync(body.ToJson(), visibility, NeverExpires, cancellationToken)).Value;
        return new HeldMessage(receipt.MessageId, receipt.PopReceipt, body, hiddenUntil);
    }

    /// <returns>The message with its new pop receipt; null when it is no longer this instance's (someone received it since, or it is gone).</returns>
    private async Task<HeldMessage?> UpdateMessageAsync(HeldMessage held, TimeSpan wait, CancellationToken cancellationToken)
    {
        var visibility = Visibility(wait);
        var hiddenUntil = RealNow + Milliseconds(visibility);
        var body = held.Body with { Failures = 0, LastFailure = null };
        try
        {
            var receipt = (await _queue.UpdateMessageAsync(held.MessageId, held.PopReceipt, body.ToJson(), visibility, cancellationToken)).Value;
            return new HeldMessage(held.MessageId, receipt.PopReceipt, body, hiddenUntil);
        }
        catch (RequestFailedException ex) when (IsNotOurs(ex))
        {
            return null;
        }
    }

    private Task DeleteMessageAsync(HeldMessage held, CancellationToken cancellationToken) => DeleteMessageAsync(held.MessageId, held.PopReceipt, cancellationToken);

    private async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.DeleteMessageAsync(messageId, popReceipt, cancellationToken);
        }
        catch (RequestFailedException ex) when (IsNotOurs(ex))
        {
            // Received by someone else since: they will find the row settled and delete it.
        }
    }

    private static async Task DeleteQuietlyAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsNotFound())
        {
        }
    }

    // 404: the message is gone; 400 PopReceiptMismatch: someone received it since.
    private static bool IsNotOurs(RequestFailedException ex) => ex.Status is 404 || (ex.Status == 400 && ex.ErrorCode == "PopReceiptMismatch");

    private static bool IsTransient(Exception ex) => ex switch
    {
        RequestFailedException rfe => rfe.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException or TimeoutException or TaskCanceledException or IOException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };

    private static TableEntity IndexEntry(AlertOutboxRow row) => new(row.RowKey, IndexRowKey) { ["ConflictId"] = row.PartitionKey };

    private static TableEntity WaitingEntry(AlertOutboxRow row) => new(WaitingPartition, WaitingKey(row))
    {
        ["AlertId"] = row.RowKey,
        ["ConflictId"] = row.PartitionKey,
        ["Kind"] = row.Kind,
        ["Revision"] = row.Revision,
        ["PartyPartnerId"] = row.PartyPartnerId,
        ["CreatedAt"] = row.CreatedAt,
    };

    // Oldest first; milliseconds, which every store keeps exactly.
    private static string WaitingKey(AlertOutboxRow row) =>
        (row.CreatedAt.UtcTicks / TimeSpan.TicksPerMillisecond).ToString("D15", CultureInfo.InvariantCulture) + "|" + row.RowKey;

    /// <summary>Whole seconds (the queue's unit), rounded up so a row is never looked at before it is due, within the queue's 7 days.</summary>
    private static TimeSpan Visibility(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? TimeSpan.Zero : wait >= MaxVisibility ? MaxVisibility : TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds));

    // Message visibility is the queue's clock, real time; row times are the app's TimeProvider.
    private static long RealNow => Environment.TickCount64;

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static ParallelOptions Parallelism(CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken };

    private sealed record HeldMessage(string MessageId, string PopReceipt, OutboxMessage Body, long HiddenUntil);

    private sealed record PoisonedMessage(string Reason, string? Message, Guid? AlertId, Guid? ConflictId, DateTimeOffset PoisonedAt);

    private sealed class UnprocessableMessageException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert outbox message for alert {AlertId} moved to the poison queue {Queue}: {Reason}")]
    private partial void LogPoisoned(Guid? alertId, string reason, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert outbox message for alert {AlertId} could not be processed (failure {Failures}): {Reason}; trying again later")]
    private partial void LogMessageFailed(Guid alertId, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert outbox message for alert {AlertId}: storage did not answer; it comes back by itself")]
    private partial void LogMessageRetry(Exception ex, Guid alertId);
}

/// <summary>How the Azure outbox treats messages it cannot process.</summary>
/// <param name="MaxFailures">Failures (counted in the message) before it goes to the poison queue.</param>
/// <param name="FailureBackoff">The wait after the first failure, doubled after each.</param>
/// <param name="RowGrace">How long a message may point at a row not written yet (messages go first) before that counts as a failure.</param>
/// <param name="HeldRecheck">How often a held Unknown row's message comes back (the row waits for an operator; nothing is sent).</param>
/// <param name="LeaseMargin">How long past its lease a leased row's message stays hidden: it reappears only once the lease has run out.</param>
internal sealed record QueuePolicy(int MaxFailures, TimeSpan FailureBackoff, TimeSpan RowGrace, TimeSpan HeldRecheck, TimeSpan LeaseMargin)
{
    public static QueuePolicy Default { get; } = new(5, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromSeconds(5));
}
