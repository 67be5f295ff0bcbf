using Microsoft.Extensions.Time.Testing;
using PorBot.Conflicts;
using PorBot.Conversations;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// The alert outbox's state machine, as every <see cref="IAlertOutbox"/> keeps it. Two outboxes over the same storage
/// stand for two processes. Time is a <see cref="FakeTimeProvider"/>: a row that becomes due later is looked for by the
/// outbox that last handled it (a queue's visibility runs on the real clock), or by a new one once it is due already.
/// </summary>
public abstract class AlertOutboxContract : IAsyncLifetime
{
    protected const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    protected const string OtherTenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";
    protected const string Contoso = "4412345";
    protected const string Fabrikam = "5523456";

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    protected static AlertDeliveryOptions DeliveryOptions => new()
    {
        LeaseDuration = TimeSpan.FromMinutes(2),
        ReconcileAfter = TimeSpan.FromSeconds(10),
        MaxAttempts = 2,
        RetryBaseDelay = TimeSpan.FromSeconds(2),
        RetryMaxDelay = TimeSpan.FromSeconds(10),
    };

    /// <summary>An outbox over this test's storage, on <see cref="Time"/> and <see cref="DeliveryOptions"/>; every call is another instance.</summary>
    protected abstract IAlertOutbox CreateOutbox();

    /// <summary>A conflict for alerts to be about (a store may keep the outbox's rows tied to it).</summary>
    protected virtual Task<Guid> NewConflictAsync() => Task.FromResult(Guid.NewGuid());

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    protected static StoredConversationReference Place(string conversationId, string tenant = Tenant, string user = "") =>
        TestReferences.Place(tenant, conversationId, user);

    protected static NewAlert Alert(Guid conflict, string conversation, string party = Contoso, string tenant = Tenant) =>
        new(conflict, AlertKinds.Alert, 0, party, Place(conversation, tenant));

    protected static NewAlert Update(Guid conflict, int revision, string conversation, string party = Contoso) =>
        new(conflict, AlertKinds.Update, revision, party, Place(conversation));

    private static async Task<OutboxItem> LeaseOneAsync(IAlertOutbox outbox, Guid alertId)
    {
        var due = await outbox.ListDueAsync(50, [], [], default);
        Assert.Contains(due, d => d.AlertId == alertId);
        return Assert.IsType<OutboxItem>(await outbox.TryLeaseAsync(alertId, default));
    }

    private static async Task<Dictionary<string, int>> CountsAsync(IAlertOutbox outbox, string? partner = null) =>
        new((await outbox.GetStatusAsync(partner, 10, default)).CountsByStatus.Where(c => c.Key != "Poison"));

    [Fact]
    public async Task Enqueue_TheSameAlertsAgain_FromAnyInstance_AddsThemOnce()
    {
        var conflict = await NewConflictAsync();
        NewAlert[] alerts = [Alert(conflict, "a:1"), Alert(conflict, "a:2"), new(conflict, AlertKinds.Alert, 0, Fabrikam, null)];

        Assert.Equal(3, await CreateOutbox().EnqueueAsync(alerts, default));
        Assert.Equal(0, await CreateOutbox().EnqueueAsync(alerts, default));
        Assert.Equal(1, await CreateOutbox().EnqueueAsync([.. alerts, Alert(conflict, "a:3")], default));

        Assert.Equal(new Dictionary<string, int> { ["Pending"] = 3, ["Waiting"] = 1 }, await CountsAsync(CreateOutbox()));
        var due = await CreateOutbox().ListDueAsync(10, [], [], default);
        Assert.Equal(["a:1", "a:2", "a:3"], due.Select(d => d.ConversationId!).Order(StringComparer.Ordinal));
        Assert.All(due, d => Assert.Equal(0, d.Attempts));
    }

    [Fact]
    public async Task ListDue_AlertsBeforeUpdates_OldestFirst_WithoutSkippedConversationsOrTenants()
    {
        var outbox = CreateOutbox();
        var first = await NewConflictAsync();
        var second = await NewConflictAsync();
        await outbox.EnqueueAsync([Update(first, 2, "a:update")], default);
        Time.Advance(TimeSpan.FromSeconds(1));
        await outbox.EnqueueAsync([Alert(first, "a:older")], default);
        Time.Advance(TimeSpan.FromSeconds(1));
        await outbox.EnqueueAsync([Alert(second, "a:newer"), Alert(second, "a:elsewhere", tenant: OtherTenant)], default);

        var all = await outbox.ListDueAsync(10, [], [], default);
        var withoutSkipped = await outbox.ListDueAsync(10, ["a:older"], [OtherTenant.ToUpperInvariant()], default);
        var one = await outbox.ListDueAsync(1, [], [], default);

        // Alerts (oldest first; the two queued together in either order), then the update.
        Assert.Equal(4, all.Count);
        Assert.Equal("a:older", all[0].ConversationId);
        Assert.Equal(["a:elsewhere", "a:newer"], all.Skip(1).Take(2).Select(d => d.ConversationId!).Order(StringComparer.Ordinal));
        Assert.Equal("a:update", all[3].ConversationId);
        Assert.Equal(["a:newer", "a:update"], withoutSkipped.Select(d => d.ConversationId));
        Assert.Equal("a:older", Assert.Single(one).ConversationId);
    }

    [Fact]
    public async Task TryLease_TwoInstancesAtOnce_OnlyOneGetsTheRowAndUsesAnAttempt()
    {
        var alert = Alert(await NewConflictAsync(), "a:1");
        var one = CreateOutbox();
        var two = CreateOutbox();
        await one.EnqueueAsync([alert], default);
        Assert.Single(await one.ListDueAsync(10, [], [], default));

        var leases = await Task.WhenAll(one.TryLeaseAsync(alert.AlertId, default), two.TryLeaseAsync(alert.AlertId, default));

        var leased = Assert.Single(leases, l => l is not null)!;
        Assert.Equal(1, leased.Attempts);
        Assert.Equal("a:1", leased.ConversationId);
        Assert.Null(await one.TryLeaseAsync(alert.AlertId, default));
        Assert.Null(await two.TryLeaseAsync(alert.AlertId, default));
        Assert.Empty(await one.ListDueAsync(10, [], [], default));
        Assert.Empty(await two.ListDueAsync(10, [], [], default));
        Assert.Equal(new Dictionary<string, int> { ["Sending"] = 1 }, await CountsAsync(two));
    }

    [Fact]
    public async Task BeginSend_OnTheLeasedRow_True_OnceItIsSettled_False()
    {
        var outbox = CreateOutbox();
        var alert = Alert(await NewConflictAsync(), "a:1");
        await outbox.EnqueueAsync([alert], default);
        await LeaseOneAsync(outbox, alert.AlertId);

        Assert.True(await outbox.BeginSendAsync(alert.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        await outbox.MarkDeliveredAsync(alert.AlertId, "1:activity", default);

        Assert.False(await outbox.BeginSendAsync(alert.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = 1 }, await CountsAsync(outbox));
    }

    [Fact]
    public async Task ParkExpiredLeases_InANewInstanceAfterTheLeaseRanOut_NeverSentPendingAgain_SentUnknown()
    {
        var crashed = CreateOutbox();
        var conflict = await NewConflictAsync();
        NewAlert[] alerts = [Alert(conflict, "a:never-sent"), Alert(conflict, "a:posted"), Update(conflict, 2, "a:updated")];
        await crashed.EnqueueAsync(alerts, default);
        foreach (var alert in alerts) await LeaseOneAsync(crashed, alert.AlertId);
        var startedAt = Time.GetUtcNow();
        Assert.True(await crashed.BeginSendAsync(alerts[1].AlertId, SendKind.Post, startedAt, default));
        Assert.True(await crashed.BeginSendAsync(alerts[2].AlertId, SendKind.Update, startedAt, default));

        Assert.Equal(default, await CreateOutbox().ParkExpiredLeasesAsync(default));
        Time.Advance(TimeSpan.FromMinutes(3));
        var next = CreateOutbox();
        var parked = await next.ParkExpiredLeasesAsync(default);

        Assert.Equal(new ParkedLeases(1, 2), parked);
        var due = Assert.Single(await next.ListDueAsync(10, [], [], default));
        Assert.Equal(alerts[0].AlertId, due.AlertId);
        Assert.Equal(0, due.Attempts);
        var unknown = await next.ListUnknownDueAsync(10, default);
        Assert.Equal([SendKind.Post, SendKind.Update], unknown.OrderBy(u => u.Item.ConversationId, StringComparer.Ordinal).Select(u => u.SentAs!.Value));
        Assert.All(unknown, u => Assert.Equal(startedAt, u.SendStartedAt));
        Assert.Equal(default, await CreateOutbox().ParkExpiredLeasesAsync(default));
        var report = await next.GetStatusAsync(null, 10, default);
        Assert.All(report.RecentProblems, p => Assert.Equal(SqliteAlertOutbox.UnknownOutcomeReason, p.Reason));
    }

    [Fact]
    public async Task ParkInterrupted_BeforeTheSend_PendingWithoutUsingAnAttempt_MidSend_Unknown()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var early = Alert(conflict, "a:early");
        var late = Alert(conflict, "a:late");
        await outbox.EnqueueAsync([early, late], default);
        await LeaseOneAsync(outbox, early.AlertId);
        await LeaseOneAsync(outbox, late.AlertId);
        Assert.True(await outbox.BeginSendAsync(late.AlertId, SendKind.Post, Time.GetUtcNow(), default));

        Assert.Equal(new ParkedLeases(1, 0), await outbox.ParkInterruptedAsync(early.AlertId, "the worker stopped", default));
        Assert.Equal(new ParkedLeases(0, 1), await outbox.ParkInterruptedAsync(late.AlertId, "the worker stopped", default));
        Assert.Equal(default, await outbox.ParkInterruptedAsync(late.AlertId, "the worker stopped", default));

        var again = Assert.Single(await CreateOutbox().ListDueAsync(10, [], [], default));
        Assert.Equal((early.AlertId, 0), (again.AlertId, again.Attempts));
        var problem = Assert.Single((await outbox.GetStatusAsync(null, 10, default)).RecentProblems);
        Assert.Equal(("Unknown", "the worker stopped mid-send; outcome unknown"), (problem.Status, problem.Reason));
    }

    [Fact]
    public async Task Reschedule_PendingAgainAfterTheBackOff_ThenFailedOnceAttemptsRunOut()
    {
        var outbox = CreateOutbox();
        var alert = Alert(await NewConflictAsync(), "a:1");
        await outbox.EnqueueAsync([alert], default);
        var first = await LeaseOneAsync(outbox, alert.AlertId);

        await outbox.RescheduleAsync(first, "503 ServiceUnavailable", default);
        Assert.Empty(await outbox.ListDueAsync(10, [], [], default));
        Time.Advance(TimeSpan.FromSeconds(3));
        var second = await LeaseOneAsync(outbox, alert.AlertId);
        Assert.Equal(2, second.Attempts);
        await outbox.RescheduleAsync(second, "503 ServiceUnavailable", default);

        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await outbox.ListDueAsync(10, [], [], default));
        var failed = Assert.Single((await outbox.GetStatusAsync(null, 10, default)).RecentProblems);
        Assert.Equal(("Failed", "503 ServiceUnavailable (gave up after 2 attempts)"), (failed.Status, failed.Reason));
    }

    [Fact]
    public async Task Reschedule_NotBeforeRetryAfter_AndOnlyIfNotSent_LeavesABegunSendAlone()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var throttled = Alert(conflict, "a:throttled");
        var begun = Alert(conflict, "a:begun");
        await outbox.EnqueueAsync([throttled, begun], default);
        var item = await LeaseOneAsync(outbox, throttled.AlertId);
        var begunItem = await LeaseOneAsync(outbox, begun.AlertId);
        Assert.True(await outbox.BeginSendAsync(begun.AlertId, SendKind.Post, Time.GetUtcNow(), default));

        await outbox.RescheduleAsync(item, "429 Too Many Requests", default, notBefore: TimeSpan.FromSeconds(30));
        await outbox.RescheduleAsync(begunItem, "crashed", default, onlyIfNotSent: true);

        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(await outbox.ListDueAsync(10, [], [], default));
        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(throttled.AlertId, Assert.Single(await outbox.ListDueAsync(10, [], [], default)).AlertId);
        Assert.Equal(new Dictionary<string, int> { ["Pending"] = 1, ["Sending"] = 1 }, await CountsAsync(outbox));
    }

    [Fact]
    public async Task Unknown_ReconciledWhenDue_RecheckedLater_HeldForAnOperator_ReleasedWithAttemptsReset()
    {
        var outbox = CreateOutbox();
        var alert = Alert(await NewConflictAsync(), "a:1");
        await outbox.EnqueueAsync([alert], default);
        await LeaseOneAsync(outbox, alert.AlertId);
        var startedAt = Time.GetUtcNow();
        Assert.True(await outbox.BeginSendAsync(alert.AlertId, SendKind.Post, startedAt, default));
        await outbox.MarkUnknownAsync(alert.AlertId, "500 ServiceError; the card may have been posted", startedAt, default);

        Assert.Empty(await outbox.ListUnknownDueAsync(10, default));
        Time.Advance(TimeSpan.FromSeconds(11));
        var unknown = Assert.Single(await outbox.ListUnknownDueAsync(10, default));
        Assert.Equal((alert.AlertId, SendKind.Post, startedAt, 1), (unknown.Item.AlertId, unknown.SentAs, unknown.SendStartedAt, unknown.Item.Attempts));

        await outbox.RecheckLaterAsync(alert.AlertId, "Graph is throttling", TimeSpan.FromSeconds(30), default);
        Assert.Empty(await outbox.ListUnknownDueAsync(10, default));
        Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Single(await outbox.ListUnknownDueAsync(10, default));

        await outbox.HoldAsync(alert.AlertId, "Graph permission missing", default);
        Assert.Empty(await outbox.ListUnknownDueAsync(10, default));
        var report = await CreateOutbox().GetStatusAsync(null, 10, default);
        Assert.Equal(1, report.Held);
        Assert.Equal((true, "Graph permission missing"), (report.RecentProblems[0].Held, report.RecentProblems[0].Reason));

        Assert.Equal((ReleaseOutcome.Released, (string?)null), await CreateOutbox().ReleaseByOperatorAsync(alert.AlertId, "operator-1", default));
        var released = Assert.Single(await CreateOutbox().ListDueAsync(10, [], [], default));
        Assert.Equal(0, released.Attempts);
        Assert.Equal((ReleaseOutcome.NotUnknown, "Pending"), await CreateOutbox().ReleaseByOperatorAsync(alert.AlertId, "operator-1", default));
        Assert.Equal((ReleaseOutcome.NoSuchAlert, (string?)null), await CreateOutbox().ReleaseByOperatorAsync(Guid.NewGuid(), "operator-1", default));
    }

    [Fact]
    public async Task Unknown_RequeuedKeepsItsAttempts_GivenUpIsFailed()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var requeued = Alert(conflict, "a:requeued");
        var givenUp = Alert(conflict, "a:given-up");
        await outbox.EnqueueAsync([requeued, givenUp], default);
        foreach (var alert in new[] { requeued, givenUp })
        {
            await LeaseOneAsync(outbox, alert.AlertId);
            Assert.True(await outbox.BeginSendAsync(alert.AlertId, SendKind.Update, Time.GetUtcNow(), default));
            await outbox.MarkUnknownAsync(alert.AlertId, "timeout", Time.GetUtcNow() - TimeSpan.FromMinutes(1), default);
        }

        Assert.Equal(2, (await outbox.ListUnknownDueAsync(10, default)).Count);
        Assert.True(await outbox.RequeueUnknownAsync(requeued.AlertId, "not found; sent again", default));
        Assert.False(await outbox.RequeueUnknownAsync(requeued.AlertId, "not found; sent again", default));
        await outbox.GiveUpUnknownAsync(givenUp.AlertId, "gave up", default);

        var due = Assert.Single(await outbox.ListDueAsync(10, [], [], default));
        Assert.Equal((requeued.AlertId, 1), (due.AlertId, due.Attempts));
        Assert.Empty(await outbox.ListUnknownDueAsync(10, default));
        Assert.Equal(new Dictionary<string, int> { ["Pending"] = 1, ["Failed"] = 1 }, await CountsAsync(outbox));
    }

    [Fact]
    public async Task Defer_PendingAgainAfterTheDelayWithoutUsingAnAttempt_NeverOnceTheSendBegan()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var deferred = Update(conflict, 2, "a:deferred");
        var begun = Update(conflict, 2, "a:begun");
        await outbox.EnqueueAsync([deferred, begun], default);
        await LeaseOneAsync(outbox, deferred.AlertId);
        await LeaseOneAsync(outbox, begun.AlertId);
        Assert.True(await outbox.BeginSendAsync(begun.AlertId, SendKind.Update, Time.GetUtcNow(), default));

        await outbox.DeferAsync(deferred.AlertId, TimeSpan.FromSeconds(5), default);
        await outbox.DeferAsync(begun.AlertId, TimeSpan.FromSeconds(5), default);

        Assert.Empty(await outbox.ListDueAsync(10, [], [], default));
        Time.Advance(TimeSpan.FromSeconds(6));
        var due = Assert.Single(await outbox.ListDueAsync(10, [], [], default));
        Assert.Equal((deferred.AlertId, 0), (due.AlertId, due.Attempts));
        Assert.Equal(new Dictionary<string, int> { ["Pending"] = 1, ["Sending"] = 1 }, await CountsAsync(outbox));
    }

    [Fact]
    public async Task FindDeliveredCard_AndAlertInFlight_FollowThePlacesAlert()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var alert = Alert(conflict, "a:1");
        var update = Update(conflict, 2, "a:1");
        var elsewhere = Update(conflict, 2, "a:2");
        await outbox.EnqueueAsync([alert, update, elsewhere], default);
        var updateItem = (await outbox.ListDueAsync(10, [], [], default)).Single(d => d.AlertId == update.AlertId);
        var elsewhereItem = (await outbox.ListDueAsync(10, [], [], default)).Single(d => d.AlertId == elsewhere.AlertId);

        Assert.True(await outbox.HasAlertInFlightAsync(updateItem, default));
        Assert.False(await outbox.HasAlertInFlightAsync(elsewhereItem, default));
        Assert.Null(await outbox.FindDeliveredCardAsync(updateItem, default));

        await LeaseOneAsync(outbox, alert.AlertId);
        Assert.True(await CreateOutbox().HasAlertInFlightAsync(updateItem, default));
        Assert.True(await outbox.BeginSendAsync(alert.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        await outbox.MarkDeliveredAsync(alert.AlertId, "1:card", default);

        var other = CreateOutbox();
        Assert.False(await other.HasAlertInFlightAsync(updateItem, default));
        Assert.Equal(new DeliveredCard("1:card", alert.AlertId), await other.FindDeliveredCardAsync(updateItem, default));
        Assert.Null(await other.FindDeliveredCardAsync(elsewhereItem, default));
    }

    [Fact]
    public async Task AlertInFlight_AnotherPostToThePlaceUnknown_TheUpdateWaits()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var posted = Update(conflict, 2, "a:1");
        var later = Update(conflict, 3, "a:1");
        await outbox.EnqueueAsync([posted, later], default);
        var laterItem = (await outbox.ListDueAsync(10, [], [], default)).Single(d => d.AlertId == later.AlertId);
        Assert.False(await outbox.HasAlertInFlightAsync(laterItem, default));

        await LeaseOneAsync(outbox, posted.AlertId);
        Assert.True(await outbox.BeginSendAsync(posted.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        await outbox.MarkUnknownAsync(posted.AlertId, "502", Time.GetUtcNow(), default);

        Assert.True(await CreateOutbox().HasAlertInFlightAsync(laterItem, default));
    }

    [Fact]
    public async Task Waiting_ListedOldestFirst_PromotedOncePerPlace_SecondPromotionIsANoOp()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var older = new NewAlert(conflict, AlertKinds.Alert, 0, Fabrikam, null);
        await outbox.EnqueueAsync([older], default);
        Time.Advance(TimeSpan.FromSeconds(1));
        await outbox.EnqueueAsync([new NewAlert(conflict, AlertKinds.Update, 2, Fabrikam, null)], default);

        var waiting = await CreateOutbox().ListWaitingAsync(10, default);
        Assert.Equal([(older.AlertId, AlertKinds.Alert, 0), (waiting[1].AlertId, AlertKinds.Update, 2)], waiting.Select(w => (w.AlertId, w.Kind, w.Revision)));
        Assert.All(waiting, w => Assert.Equal((conflict, Fabrikam, (string?)null), (w.ConflictId, w.PartyPartnerId, w.ConversationId)));
        Assert.Equal(older.AlertId, Assert.Single(await outbox.ListWaitingAsync(1, default)).AlertId);

        var promoter = CreateOutbox();
        Assert.Equal(2, await promoter.PromoteWaitingAsync(waiting[0], [Place("a:fabrikam-1", OtherTenant), Place("a:fabrikam-2", OtherTenant)], default));
        Assert.Equal(0, await CreateOutbox().PromoteWaitingAsync(waiting[0], [Place("a:fabrikam-1", OtherTenant)], default));
        Assert.Equal(0, await promoter.PromoteWaitingAsync(waiting[1], [], default));

        Assert.Equal(waiting[1].AlertId, Assert.Single(await CreateOutbox().ListWaitingAsync(10, default)).AlertId);
        var due = await CreateOutbox().ListDueAsync(10, [], [], default);
        Assert.Equal(["a:fabrikam-1", "a:fabrikam-2"], due.Select(d => d.ConversationId!).Order(StringComparer.Ordinal));
        Assert.All(due, d => Assert.Equal((conflict, AlertKinds.Alert, 0, Fabrikam, OtherTenant), (d.ConflictId, d.Kind, d.Revision, d.PartyPartnerId, d.TenantId)));
        Assert.Equal(new Dictionary<string, int> { ["Pending"] = 2, ["Waiting"] = 1 }, await CountsAsync(outbox));
    }

    [Fact]
    public async Task GetStatus_CountsByStatus_ForOnePartyOrAll_LatestProblemsWithTheirReasons()
    {
        var outbox = CreateOutbox();
        var conflict = await NewConflictAsync();
        var delivered = Alert(conflict, "a:contoso-1");
        var undeliverable = Alert(conflict, "a:contoso-2");
        await outbox.EnqueueAsync([delivered, undeliverable, Alert(conflict, "a:fabrikam", Fabrikam), new NewAlert(conflict, AlertKinds.Alert, 0, Fabrikam, null)], default);
        await LeaseOneAsync(outbox, delivered.AlertId);
        await outbox.MarkDeliveredAsync(delivered.AlertId, "1:a", default);
        await LeaseOneAsync(outbox, undeliverable.AlertId);
        Time.Advance(TimeSpan.FromSeconds(1));
        await outbox.MarkUndeliverableAsync(undeliverable.AlertId, "403 BotBlocked", default);

        var contoso = await CreateOutbox().GetStatusAsync(Contoso, 10, default);
        var all = await CreateOutbox().GetStatusAsync(null, 10, default);

        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = 1, ["Undeliverable"] = 1 }, contoso.CountsByStatus);
        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = 1, ["Undeliverable"] = 1, ["Pending"] = 1, ["Waiting"] = 1 }, await CountsAsync(CreateOutbox()));
        var problem = Assert.Single(contoso.RecentProblems);
        Assert.Equal((undeliverable.AlertId, conflict, Contoso, "Undeliverable", "a:contoso-2", "403 BotBlocked", false),
            (problem.AlertId, problem.ConflictId, problem.PartyPartnerId, problem.Status, problem.ConversationId, problem.Reason, problem.Held));
        Assert.Equal(Time.GetUtcNow(), problem.UpdatedAt);
        Assert.Equal(0, all.Held);
        Assert.Empty((await CreateOutbox().GetStatusAsync(Fabrikam, 10, default)).RecentProblems);
    }
}
