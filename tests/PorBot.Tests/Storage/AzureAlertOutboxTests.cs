using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Conflicts;
using PorBot.Storage.AzureStorage;
using PorBot.Tests.Storage.Contracts;

namespace PorBot.Tests.Storage;

/// <summary>The outbox contract on Azure Tables and Queues (Azurite), and what only several instances sharing a queue can show.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureAlertOutboxTests(AzuriteFixture azurite) : AlertOutboxContract
{
    private static readonly QueuePolicy QuickPoison = QueuePolicy.Default with { MaxFailures = 3, FailureBackoff = TimeSpan.Zero, RowGrace = TimeSpan.Zero };

    private AzureStorageClients _clients = null!;

    protected override IAlertOutbox CreateOutbox() => Create();

    private AzureQueueAlertOutbox Create(QueuePolicy? policy = null, AlertDeliveryOptions? options = null) =>
        new(_clients, Time, Microsoft.Extensions.Options.Options.Create(options ?? DeliveryOptions), NullLogger.Instance, policy ?? QueuePolicy.Default);

    public override async Task InitializeAsync() => _clients = await azurite.CreateClientsAsync();

    public override Task DisposeAsync() => Task.CompletedTask;

    private async Task<List<JsonElement>> PoisonedAsync() =>
        [.. (await _clients.AlertPoisonQueue.PeekMessagesAsync(32)).Value.Select(m => JsonDocument.Parse(m.MessageText).RootElement)];

    [Fact]
    public async Task Poison_AMessageThatIsNoOutboxMessage_MovedToThePoisonQueueWithItsReason_OthersGoOn()
    {
        var outbox = Create();
        var alert = Alert(Guid.NewGuid(), "a:1");
        await _clients.AlertQueue.SendMessageAsync("<not an outbox message>");
        await outbox.EnqueueAsync([alert], default);

        var due = await outbox.ListDueAsync(10, [], [], default);

        Assert.Equal(alert.AlertId, Assert.Single(due).AlertId);
        var poisoned = Assert.Single(await PoisonedAsync());
        Assert.Equal("<not an outbox message>", poisoned.GetProperty("Message").GetString());
        Assert.Contains("it cannot be read", poisoned.GetProperty("Reason").GetString(), StringComparison.Ordinal);
        var report = await outbox.GetStatusAsync(null, 10, default);
        Assert.Equal(1, report.CountsByStatus[AzureQueueAlertOutbox.PoisonStatus]);
        Assert.Contains("poison 1", AlertsStatusCommandHandler.Format(report, "all partners"), StringComparison.Ordinal);
        Assert.False((await outbox.GetStatusAsync(Contoso, 10, default)).CountsByStatus.ContainsKey(AzureQueueAlertOutbox.PoisonStatus));
    }

    [Fact]
    public async Task Poison_ARowThatCannotBeProcessed_AfterRepeatedFailures_PoisonedAndTheRowFailedWithTheReason()
    {
        var outbox = Create(QuickPoison);
        var alert = Alert(Guid.NewGuid(), "a:1");
        await outbox.EnqueueAsync([alert], default);
        await _clients.Table(AzureTableNames.AlertOutbox).UpdateEntityAsync(
            new TableEntity(alert.ConflictId.ToString("D"), alert.AlertId.ToString("D")) { ["Status"] = "Lost" }, ETag.All, TableUpdateMode.Merge);

        for (var i = 0; i < 3; i++) Assert.Empty(await outbox.ListDueAsync(10, [], [], default));

        var poisoned = Assert.Single(await PoisonedAsync());
        Assert.Equal(alert.AlertId, poisoned.GetProperty("AlertId").GetGuid());
        var problem = Assert.Single((await Create().GetStatusAsync(null, 10, default)).RecentProblems);
        Assert.Equal((alert.AlertId, "Failed"), (problem.AlertId, problem.Status));
        Assert.StartsWith("poison message: it could not be processed 3 times; the last time its row has an unknown status 'Lost'", problem.Reason, StringComparison.Ordinal);
        Assert.Empty((await _clients.AlertQueue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Poison_AMessageWhoseRowNeverCame_PoisonedAfterRepeatedFailures_ShownInStatus()
    {
        var outbox = Create(QuickPoison);
        var orphan = new { a = Guid.NewGuid(), c = Guid.NewGuid() };
        await _clients.AlertQueue.SendMessageAsync(JsonSerializer.Serialize(orphan));

        for (var i = 0; i < 3; i++) Assert.Empty(await outbox.ListDueAsync(10, [], [], default));

        var poisoned = Assert.Single(await PoisonedAsync());
        Assert.Contains("it points at no outbox row", poisoned.GetProperty("Reason").GetString(), StringComparison.Ordinal);
        var report = await outbox.GetStatusAsync(null, 10, default);
        Assert.Equal(1, report.CountsByStatus[AzureQueueAlertOutbox.PoisonStatus]);
        Assert.Empty(report.RecentProblems);
    }

    [Fact]
    public async Task Enqueue_RetriedAfterACrashBetweenMessageAndRow_TheRowIsWrittenAndSentOnce()
    {
        var alert = Alert(Guid.NewGuid(), "a:1");
        // The crashed attempt sent the row's message (messages go first), then died before writing the row.
        await _clients.AlertQueue.SendMessageAsync(JsonSerializer.Serialize(new { a = alert.AlertId, c = alert.ConflictId }));

        Assert.Equal(1, await Create().EnqueueAsync([alert], default));

        var worker = Create();
        var item = Assert.Single(await worker.ListDueAsync(10, [], [], default));
        Assert.NotNull(await worker.TryLeaseAsync(item.AlertId, default));
        Assert.True(await worker.BeginSendAsync(item.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        await worker.MarkDeliveredAsync(item.AlertId, "1:a", default);
        Assert.Empty(await Create().ListDueAsync(10, [], [], default));
    }

    [Fact]
    public async Task TwoInstancesRacing_Over200Rows_EveryRowLeasedExactlyOnce()
    {
        var one = Create();
        var two = Create();
        var alerts = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid())
            .SelectMany(conflict => Enumerable.Range(0, 50).Select(i => Alert(conflict, $"a:{conflict:N}-{i}"))).ToList();
        Assert.Equal(200, await one.EnqueueAsync(alerts, default));
        var leases = new ConcurrentDictionary<Guid, int>();
        var delivered = 0;
        var clock = Stopwatch.StartNew();

        // Each instance lists its own share, and both try to lease every row it lists: only one lease may win.
        async Task WorkAsync(IAlertOutbox mine, IAlertOutbox other)
        {
            while (Volatile.Read(ref delivered) < alerts.Count && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var due = await mine.ListDueAsync(32, [], [], default);
                if (due.Count == 0)
                {
                    await Task.Delay(20);
                    continue;
                }

                await Task.WhenAll(due.Select(async item =>
                {
                    var won = await Task.WhenAll(mine.TryLeaseAsync(item.AlertId, default), other.TryLeaseAsync(item.AlertId, default));
                    foreach (var (lease, outbox) in won.Zip([mine, other]))
                    {
                        if (lease is null) continue;
                        leases.AddOrUpdate(lease.AlertId, 1, (_, n) => n + 1);
                        Assert.True(await outbox.BeginSendAsync(lease.AlertId, SendKind.Post, Time.GetUtcNow(), default));
                        await outbox.MarkDeliveredAsync(lease.AlertId, "1:" + lease.AlertId, default);
                        Interlocked.Increment(ref delivered);
                    }
                }));
            }
        }

        await Task.WhenAll(WorkAsync(one, two), WorkAsync(two, one));

        Assert.Equal(alerts.Select(a => a.AlertId).Order(), leases.Keys.Order());
        Assert.All(leases.Values, count => Assert.Equal(1, count));
        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = 200 }, (await one.GetStatusAsync(null, 10, default)).CountsByStatus);
    }

    [Fact]
    public async Task Dispose_HandsTheMessagesItHeldBack_AnotherInstanceTakesThemAtOnce()
    {
        var stopping = Create();
        var conflict = Guid.NewGuid();
        await stopping.EnqueueAsync([Alert(conflict, "a:1"), Alert(conflict, "a:2"), Alert(conflict, "a:3")], default);
        Assert.Equal(3, (await stopping.ListDueAsync(10, [], [], default)).Count);
        var other = Create();
        Assert.Empty(await other.ListDueAsync(10, [], [], default));

        await stopping.DisposeAsync();

        Assert.Equal(3, (await other.ListDueAsync(10, [], [], default)).Count);
    }

    [Fact]
    public async Task BeginSend_AfterTheLeaseRanOutAndAnotherInstanceTookTheRow_RefusedToTheFirst()
    {
        var slow = Create();
        var alert = Alert(Guid.NewGuid(), "a:1");
        await slow.EnqueueAsync([alert], default);
        Assert.Single(await slow.ListDueAsync(10, [], [], default));
        Assert.NotNull(await slow.TryLeaseAsync(alert.AlertId, default));

        Time.Advance(TimeSpan.FromMinutes(3));
        var other = Create();
        Assert.Equal(new ParkedLeases(1, 0), await other.ParkExpiredLeasesAsync(default));
        Assert.Single(await other.ListDueAsync(10, [], [], default));
        Assert.NotNull(await other.TryLeaseAsync(alert.AlertId, default));

        Assert.False(await slow.BeginSendAsync(alert.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        Assert.True(await other.BeginSendAsync(alert.AlertId, SendKind.Post, Time.GetUtcNow(), default));
    }

    [Fact]
    public async Task ExpiredLease_ItsMessageReappears_AndTheInstanceThatReceivesItParksTheRow()
    {
        var options = DeliveryOptions;
        options.LeaseDuration = TimeSpan.FromSeconds(2);
        var policy = QueuePolicy.Default with { LeaseMargin = TimeSpan.Zero };
        var crashed = Create(policy, options);
        var conflict = Guid.NewGuid();
        var never = Alert(conflict, "a:never-sent");
        var posted = Alert(conflict, "a:posted");
        await crashed.EnqueueAsync([never, posted], default);
        Assert.Equal(2, (await crashed.ListDueAsync(10, [], [], default)).Count);
        Assert.NotNull(await crashed.TryLeaseAsync(never.AlertId, default));
        Assert.NotNull(await crashed.TryLeaseAsync(posted.AlertId, default));
        Assert.True(await crashed.BeginSendAsync(posted.AlertId, SendKind.Post, Time.GetUtcNow(), default));
        var survivor = Create(policy, options);
        // Its one look through the table happens now, while the leases still run: from here on only the queue can bring them back.
        Assert.Equal(default, await survivor.ParkExpiredLeasesAsync(default));

        Time.Advance(TimeSpan.FromMinutes(1));
        var clock = Stopwatch.StartNew();
        IReadOnlyList<OutboxItem> due = [];
        IReadOnlyList<UnknownSend> unknown = [];
        while ((due.Count == 0 || unknown.Count == 0) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(250);
            due = await survivor.ListDueAsync(10, [], [], default);
            unknown = await survivor.ListUnknownDueAsync(10, default);
        }

        Assert.Equal(never.AlertId, Assert.Single(due).AlertId);
        Assert.Equal(posted.AlertId, Assert.Single(unknown).Item.AlertId);
        Assert.Equal(new ParkedLeases(1, 1), await survivor.ParkExpiredLeasesAsync(default));
    }
}
