using PorBot.Conversations;

namespace PorBot.Conflicts;

/// <summary>
/// The outbox worker's scheduler. It reads due rows ahead (without claiming them), and for each conversation's
/// first row asks <see cref="AlertSendLimiter"/> for a permit; only with one in hand does it lease the row and
/// start the send, so a leased row never waits for a token or for a slower conversation. A row whose
/// conversation or tenant is out of tokens stays Pending (no attempt used) and its conversation or tenant is
/// left out of reads until the limiter says a token is back.
/// </summary>
internal sealed partial class AlertDispatcher(
    IServiceScopeFactory scopes,
    IAlertOutbox outbox,
    AlertSendLimiter limiter,
    TimeProvider time,
    AlertDeliveryOptions options,
    ILogger logger)
{
    // A read costs a scan of every due row. When thousands are held back by limits, reading again for each token
    // that comes back or each send that ends would cost more than the sends: those within this interval share a read.
    private static readonly TimeSpan MinReadInterval = TimeSpan.FromMilliseconds(25);

    private readonly Dictionary<string, Hold> _heldConversations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Hold> _heldTenants = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly HashSet<string> _busyConversations = new(StringComparer.Ordinal);
    private readonly List<Task> _sends = [];
    private List<OutboxItem> _due = [];
    private long _lastRead = long.MinValue / 2;
    private bool _changed = true;
    private int _inFlight;
    private bool _aSendEnded;
    private TaskCompletionSource _sendEndedSignal = NewSignal();

    private readonly record struct Hold(long Until, bool UntilASendEnds);

    private readonly record struct Progress(long WakeAt, bool ReadDeferred);

    private int FreeSlots => options.MaxParallelSends - Volatile.Read(ref _inFlight);

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled; sends still in flight are left to <see cref="DrainAsync"/>.</summary>
    /// <param name="firstRoundDone">Called once the first round (maintenance, then the first read and its sends started) is over.</param>
    public async Task RunAsync(CancellationToken stoppingToken, Action? firstRoundDone = null)
    {
        var nextMaintenance = long.MinValue;
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            if (time.GetTimestamp() >= nextMaintenance)
            {
                await MaintainAsync(stoppingToken);
                nextMaintenance = time.GetTimestamp() + Ticks(options.PollInterval);
            }

            long wakeAt;
            try
            {
                wakeAt = (await StartWhatCanStartAsync(stoppingToken)).WakeAt;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The loop must outlive any failure (a locked database, a registry outage); the next round retries.
                LogRoundFailed(ex);
                wakeAt = time.GetTimestamp() + Ticks(options.PollInterval);
            }

            firstRoundDone?.Invoke();
            firstRoundDone = null;

            await WaitAsync(Math.Min(wakeAt, nextMaintenance), stoppingToken);
        }
    }

    /// <summary>Maintenance, then every send that can start now and those its conversations allow after it, until none can.</summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        await MaintainAsync(cancellationToken);
        while (true)
        {
            var progress = await StartWhatCanStartAsync(cancellationToken);
            if (Volatile.Read(ref _inFlight) == 0 && !progress.ReadDeferred) return;
            await WaitAsync(progress.WakeAt, cancellationToken);
        }
    }

    /// <summary>Waits for the sends in flight (on shutdown they see the cancellation and settle their rows).</summary>
    public async Task DrainAsync()
    {
        Task[] sends;
        lock (_gate) sends = [.. _sends];
        await Task.WhenAll(sends);
    }

    /// <summary>
    /// What a poll does before sending: takes back rows a stopped process left in Sending, settles Unknown sends
    /// (<see cref="AlertReconciler"/>), and retargets Waiting rows whose party now has an alert target (a personal
    /// chat, or a conversation designated with <c>alerts here</c>). Each step's failure is logged and skipped: none
    /// of them makes a Pending row unsafe to send.
    /// </summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await MaintenanceStepAsync(async () =>
        {
            var parked = await outbox.ParkExpiredLeasesAsync(cancellationToken);
            if (parked.NeverSent + parked.Unknown > 0) LogParked(parked.Unknown, parked.NeverSent);
        }, cancellationToken);
        await MaintenanceStepAsync(() => scope.ServiceProvider.GetRequiredService<AlertReconciler>().RunAsync(cancellationToken), cancellationToken);
        await MaintenanceStepAsync(() => PromoteWaitingAsync(scope.ServiceProvider, cancellationToken), cancellationToken);

        // New rows, promoted rows, released Unknown rows and retries that fell due are only seen by a fresh read, in outbox order.
        _due = [];
        _changed = true;
    }

    private async Task MaintenanceStepAsync(Func<Task> step, CancellationToken cancellationToken)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogMaintenanceFailed(ex);
        }
    }

    private async Task PromoteWaitingAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var claims = services.GetRequiredService<ClaimService>();
        // Many waiting rows belong to few partners: each partner's targets are looked up once per round.
        var targetsByPartner = new Dictionary<string, List<StoredConversationReference>>(StringComparer.Ordinal);
        foreach (var waiting in await outbox.ListWaitingAsync(options.BatchSize * 10, cancellationToken))
        {
            if (!targetsByPartner.TryGetValue(waiting.PartyPartnerId, out var targets))
            {
                targetsByPartner[waiting.PartyPartnerId] = targets = await claims.AlertTargetsAsync(waiting.PartyPartnerId, cancellationToken);
            }

            if (targets.Count == 0) continue;
            var added = await outbox.PromoteWaitingAsync(waiting, targets, cancellationToken);
            if (added > 0) LogPromoted(waiting.AlertId, waiting.PartyPartnerId, added);
        }
    }

    private async Task<Progress> StartWhatCanStartAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetTimestamp();
            ReleaseHolds(now);
            if (FreeSlots <= 0) return new Progress(NextHoldEnd(), false);

            StartFromDue(now, cancellationToken);
            if (FreeSlots <= 0 || !_changed) return new Progress(NextHoldEnd(), false);

            // Nothing more to start from what was read, but something changed since: read again, not too often.
            var readableAt = _lastRead + Ticks(MinReadInterval);
            if (now < readableAt) return new Progress(Math.Min(readableAt, NextHoldEnd()), true);
            await ReadDueAsync(cancellationToken);
            if (_due.Count == 0) return new Progress(NextHoldEnd(), false);
        }
    }

    private async Task ReadDueAsync(CancellationToken cancellationToken)
    {
        string[] busy;
        lock (_gate) busy = [.. _busyConversations];
        var skipConversations = busy.Concat(_heldConversations.Keys).Distinct(StringComparer.Ordinal).ToList();
        _changed = false;
        _lastRead = time.GetTimestamp();
        _due = [.. await outbox.ListDueAsync(options.BatchSize, skipConversations, [.. _heldTenants.Keys], cancellationToken)];
    }

    private void StartFromDue(long now, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<OutboxItem>(_due.Count);
        foreach (var row in _due)
        {
            if (FreeSlots <= 0)
            {
                kept.Add(row);
                continue;
            }

            if (row.ConversationId is { } conversation)
            {
                // Only a conversation's first row may go: its order is the outbox's (Alerts before Updates).
                if (!seen.Add(conversation) || IsBusy(conversation) || _heldConversations.ContainsKey(conversation)
                    || (row.TenantId is { } tenant && _heldTenants.ContainsKey(tenant)))
                {
                    kept.Add(row);
                    continue;
                }
            }

            SendPermit? permit = null;
            if (row.ConversationId is not null && !limiter.TryAcquire(row.TenantId, row.ConversationId, out permit, out var refusal))
            {
                HoldBack(row, refusal, now);
                kept.Add(row);
                continue;
            }

            Start(row, permit, cancellationToken);
        }

        _due = kept;
    }

    private void HoldBack(OutboxItem row, SendRefusal refusal, long now)
    {
        // Without a known time (a send in flight holds the last token) look again when one of ours ends, or after a poll.
        var hold = refusal.RetryIn is { } wait ? new Hold(now + Ticks(wait), false) : new Hold(now + Ticks(options.PollInterval), true);
        if (refusal.Scope == SendScope.Tenant && row.TenantId is { } tenant) _heldTenants[tenant] = hold;
        else _heldConversations[row.ConversationId!] = hold;
    }

    private void ReleaseHolds(long now)
    {
        bool sendEnded;
        lock (_gate)
        {
            sendEnded = _aSendEnded;
            if (sendEnded)
            {
                _aSendEnded = false;
                _sendEndedSignal = NewSignal();
            }
        }

        // A send that ended frees its conversation, whose next rows were left out of the last read.
        if (sendEnded) _changed = true;
        foreach (var holds in new[] { _heldConversations, _heldTenants })
        {
            foreach (var (key, hold) in holds)
            {
                if (hold.Until > now && !(sendEnded && hold.UntilASendEnds)) continue;
                holds.Remove(key);
                _changed = true;
            }
        }
    }

    private long NextHoldEnd()
    {
        var next = long.MaxValue;
        foreach (var hold in _heldConversations.Values.Concat(_heldTenants.Values)) next = Math.Min(next, hold.Until);
        return next;
    }

    private bool IsBusy(string conversation)
    {
        lock (_gate) return _busyConversations.Contains(conversation);
    }

    private void Start(OutboxItem item, SendPermit? permit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (item.ConversationId is { } conversation) _busyConversations.Add(conversation);
            _inFlight++;
            _sends.RemoveAll(t => t.IsCompleted);
            _sends.Add(SendAsync(item, permit, cancellationToken));
        }
    }

    /// <summary>Leases the row (its permit is in hand, so the send starts at once) and delivers it.</summary>
    private async Task SendAsync(OutboxItem row, SendPermit? permit, CancellationToken stoppingToken)
    {
        // Off the scheduler's path: the caller holds a lock and must not run the send inline.
        await Task.Yield();
        OutboxItem? item = null;
        // Half the lease for the whole row: its lease cannot run out while this process is alive to settle it.
        using var deadline = new CancellationTokenSource(options.LeaseDuration / 2, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, deadline.Token);
        try
        {
            // Gone (another worker took it, or it changed): a later read shows what it is now.
            item = await outbox.TryLeaseAsync(row.AlertId, linked.Token);
            if (item is null) return;
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AlertSender>().DeliverAsync(item, permit, linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            if (item is not null) await SettleInterruptedAsync(item, stoppingToken.IsCancellationRequested);
        }
#pragma warning disable CA1031 // One bad row must not hold back the others.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(ex, row.AlertId);
            if (item is not null)
            {
                var reason = $"{ex.GetType().Name}: {ex.Message}";
                // Retried like any failure if the send had not begun; if it had, whether it arrived is unknown.
                await SafelyAsync(() => outbox.RescheduleAsync(item, reason, CancellationToken.None, onlyIfNotSent: true), item.AlertId);
                await SafelyAsync(() => outbox.ParkInterruptedAsync(item.AlertId, $"failed unexpectedly ({reason})", CancellationToken.None), item.AlertId);
            }
        }
        finally
        {
            permit?.Dispose();
            lock (_gate)
            {
                if (row.ConversationId is { } conversation) _busyConversations.Remove(conversation);
                _inFlight--;
                _aSendEnded = true;
                _sendEndedSignal.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The row's work was cancelled: settled now as a crash would settle it after the lease. Not yet sent → Pending
    /// (no attempt used); sent → Unknown, reconciled like any ambiguous answer (an update redone, a post looked for).
    /// </summary>
    private async Task SettleInterruptedAsync(OutboxItem item, bool stopping)
    {
        var why = stopping ? "the worker stopped" : $"gave up after {options.LeaseDuration / 2} (half the lease)";
        ParkedLeases parked = default;
        await SafelyAsync(async () => parked = await outbox.ParkInterruptedAsync(item.AlertId, why, CancellationToken.None), item.AlertId);
        if (parked.Unknown == 0) return;
        if (stopping) LogStoppedMidSend(item.AlertId);
        else LogSendTooSlow(item.AlertId, options.LeaseDuration / 2);
    }

    private async Task SafelyAsync(Func<Task> write, Guid alertId)
    {
        try
        {
            await write();
        }
#pragma warning disable CA1031 // Logged; the lease decides what becomes of the row.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(ex, alertId);
        }
    }

    private async Task WaitAsync(long until, CancellationToken cancellationToken)
    {
        Task ended;
        lock (_gate) ended = _aSendEnded ? Task.CompletedTask : _sendEndedSignal.Task;
        if (ended.IsCompleted) return;

        var now = time.GetTimestamp();
        if (until <= now) return;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = until == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds((until - now) / (double)time.TimestampFrequency);
        await Task.WhenAny(ended, Task.Delay(delay, time, stop.Token));
        await stop.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private long Ticks(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds * time.TimestampFrequency);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stopped process left alerts behind: {Unknown} were mid-send (Unknown, to be reconciled), {NeverSent} had not been sent yet (Pending again)")]
    private partial void LogParked(int unknown, int neverSent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} for partner {PartnerId} was waiting; now queued for {Count} conversation(s)")]
    private partial void LogPromoted(Guid alertId, string partnerId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert outbox maintenance failed; retrying on the next poll")]
    private partial void LogMaintenanceFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert delivery round failed; retrying on the next poll")]
    private partial void LogRoundFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {AlertId} failed unexpectedly; rescheduled")]
    private partial void LogUnexpected(Exception ex, Guid alertId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} was being sent when the worker stopped; outcome unknown, it will be looked for before any resend")]
    private partial void LogStoppedMidSend(Guid alertId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} took longer than {Limit} to send; abandoned, outcome unknown, it will be looked for before any resend")]
    private partial void LogSendTooSlow(Guid alertId, TimeSpan limit);
}
