using System.Globalization;
using System.Reflection;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Storage;
using PorBot.Storage.AzureStorage;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// <see cref="AzureTableClaimStore"/> against Azurite, with the real SQLite outbox (on a temp file) receiving the
/// alerts. "Another instance" is a second store over the same tables, as a second bot process would have.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureClaimStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Por = "4412345";
    private const string Claimant = "5523456";
    private const string Other = "6634567";
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private AzureStorageClients _clients = null!;
    private SqliteTestStorage _sqlite = null!;
    private SqliteAlertOutbox _outbox = null!;

    public async Task InitializeAsync()
    {
        _clients = await azurite.CreateClientsAsync();
        _sqlite = await SqliteTestStorage.CreateAsync();
        _outbox = new SqliteAlertOutbox(_sqlite.Database, TimeProvider.System, Options.Create(new AlertDeliveryOptions()));
    }

    public async Task DisposeAsync()
    {
        _outbox.Dispose();
        await _sqlite.DisposeAsync();
    }

    private AzureTableClaimStore CreateStore(IAlertOutbox? outbox = null, TimeProvider? time = null) =>
        new(_clients, outbox ?? _outbox, time ?? TimeProvider.System, NullLogger<AzureTableClaimStore>.Instance);

    [Fact]
    public async Task Load_NothingSaved_IsEmptyWithoutToken()
    {
        var loaded = await CreateStore().LoadAsync(Guid.NewGuid(), default);

        Assert.Null(loaded.ConcurrencyToken);
        Assert.Empty(loaded.Claims);
        Assert.Empty(loaded.Conflicts);
        Assert.Empty(loaded.Proofs);
    }

    [Fact]
    public async Task SaveThenLoad_RoundTripsEveryField()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        var conflict = new StoredConflict(Guid.NewGuid(), sub, Por, ConflictStatus.Resolved, Claimant, "aad-operator", RegistrySynced: false, 7,
            new DateTimeOffset(2026, 3, 1, 12, 30, 15, TimeSpan.FromHours(10)).AddTicks(1234567), T0.AddDays(2).AddTicks(89));
        var full = new StoredClaim(Guid.NewGuid(), sub, Claimant, "api:crm", "Dynamics", "Signed on 1 March — ünïcode ✓", ClaimOutcome.Conflict,
            conflict.ConflictId, ClaimStatus.Won, "api:crm:key-1", "hash-1", Claimant, "aad-operator", RegistrySynced: false, T0.AddTicks(1), T0.AddHours(1));
        var bare = new StoredClaim(Guid.NewGuid(), sub, Other, ClaimSources.Chat, null, null, ClaimOutcome.Pending,
            null, ClaimStatus.Active, null, null, null, null, RegistrySynced: true, T0.AddMinutes(5), T0.AddMinutes(5));
        var proofs = new[]
        {
            new StoredProof(Guid.NewGuid(), conflict.ConflictId, Claimant, "Migration project, SOW 42", "https://contoso.example/sow/42", "aad-user", T0.AddMinutes(10)),
            new StoredProof(Guid.NewGuid(), conflict.ConflictId, Por, "Monthly managed service", null, "aad-user-2", T0.AddMinutes(11)),
        };

        Assert.True(await store.TrySaveAsync(new ClaimsChange(SubscriptionClaims.Empty(sub), [bare, full], [conflict], proofs, []), default));

        var loaded = await CreateStore().LoadAsync(sub, default);
        Assert.NotNull(loaded.ConcurrencyToken);
        Assert.Equal(sub, loaded.SubscriptionId);
        Assert.Equal(new[] { full, bare }, loaded.Claims);
        Assert.Equal(conflict, Assert.Single(loaded.Conflicts));
        Assert.Equal(proofs, loaded.Proofs);
    }

    [Fact]
    public async Task TrySave_AgainOnTheReloadedClaims_ReplacesWholeAndAdds()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        var claim = Claim(sub, Claimant);
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [claim]), default));
        var first = await store.LoadAsync(sub, default);

        var withdrawn = claim with { Status = ClaimStatus.Withdrawn, UpdatedAt = T0.AddHours(1) };
        var second = Claim(sub, Other) with { CreatedAt = T0.AddMinutes(1), UpdatedAt = T0.AddMinutes(1) };
        Assert.True(await store.TrySaveAsync(Change(first, claims: [withdrawn, second]), default));

        var loaded = await store.LoadAsync(sub, default);
        Assert.Equal(new[] { withdrawn, second }, loaded.Claims);
        Assert.NotEqual(first.ConcurrencyToken, loaded.ConcurrencyToken);
    }

    [Fact]
    public async Task TrySave_OnABaseSomeoneElseSavedSince_FailsAndSavesNothing()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Claimant)]), default));
        var based = await store.LoadAsync(sub, default);
        Assert.True(await CreateStore().TrySaveAsync(Change(based, claims: [Claim(sub, Other)]), default));

        var late = Claim(sub, "7745678");
        Assert.False(await store.TrySaveAsync(Change(based, claims: [late]), default));
        Assert.False(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [late]), default));

        Assert.DoesNotContain((await store.LoadAsync(sub, default)).Claims, c => c.ClaimId == late.ClaimId);
        Assert.Null(await store.FindSubscriptionAsync(late.ClaimId, default));
    }

    [Fact]
    public async Task TwoInstancesSavingAtOnceOnANewSubscription_ExactlyOneWins_AndOnlyItsAlertsAreQueued()
    {
        var sub = Guid.NewGuid();
        var changes = Enumerable.Range(0, 2).Select(i =>
        {
            var conflict = Conflict(sub);
            return Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Claimant, conflict.ConflictId)], conflicts: [conflict],
                alerts: [Alert(conflict.ConflictId, Por, i), Alert(conflict.ConflictId, Claimant, i)]);
        }).ToList();
        await SeedOutboxConflictsAsync(changes.SelectMany(c => c.PutConflicts));

        var results = await Task.WhenAll(changes.Select(c => Task.Run(() => CreateStore().TrySaveAsync(c, default))));

        var winner = changes[Array.IndexOf(results, true)];
        Assert.Single(results, r => r);
        var loaded = await CreateStore().LoadAsync(sub, default);
        Assert.Equal(winner.PutClaims, loaded.Claims);
        Assert.Equal(winner.PutConflicts, loaded.Conflicts);
        Assert.Equal(winner.Alerts.Select(a => a.AlertId).Order(), (await DueAsync()).Select(i => i.AlertId).Order());
    }

    [Fact]
    public async Task TwoInstancesSavingAtOnceOnTheSameToken_ExactlyOneWins()
    {
        var sub = Guid.NewGuid();
        var store = CreateStore();
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Por)]), default));
        var based = await store.LoadAsync(sub, default);
        var claims = new[] { Claim(sub, Claimant), Claim(sub, Other) };

        var results = await Task.WhenAll(claims.Select(c => Task.Run(() => CreateStore().TrySaveAsync(Change(based, claims: [c]), default))));

        Assert.Single(results, r => r);
        var loaded = await store.LoadAsync(sub, default);
        Assert.Equal(2, loaded.Claims.Count);
        Assert.Contains(claims[Array.IndexOf(results, true)], loaded.Claims);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TrySave_AnswerLostAndTheClientRetries_IsTheSaveItMade_AndQueuesItsAlerts(bool existingSubscription)
    {
        var sub = Guid.NewGuid();
        var based = SubscriptionClaims.Empty(sub);
        if (existingSubscription)
        {
            Assert.True(await CreateStore().TrySaveAsync(Change(based, claims: [Claim(sub, Por)]), default));
            based = await CreateStore().LoadAsync(sub, default);
        }

        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);
        var lossy = new LoseOneTransactionAnswer();
        var clients = new AzureStorageClients(new AzureStorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = _clients.Prefix }, lossy);
        var store = new AzureTableClaimStore(clients, _outbox, TimeProvider.System, NullLogger<AzureTableClaimStore>.Instance);
        var change = Change(based, claims: [Claim(sub, Claimant, conflict.ConflictId)], conflicts: [conflict], alerts: [Alert(conflict.ConflictId, Claimant, 1)]);

        Assert.True(await store.TrySaveAsync(change, default));

        Assert.True(lossy.Lost);
        Assert.Contains(change.PutClaims[0], (await CreateStore().LoadAsync(sub, default)).Claims);
        Assert.Equal(change.Alerts[0].AlertId, Assert.Single(await DueAsync()).AlertId);
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task FindSubscription_ByClaimOrConflictId_FindsItsSubscription_UnknownIsNull()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        var conflict = Conflict(sub);
        var claim = Claim(sub, Claimant, conflict.ConflictId);
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [claim], conflicts: [conflict]), default));

        var other = CreateStore();
        Assert.Equal(sub, await other.FindSubscriptionAsync(claim.ClaimId, default));
        Assert.Equal(sub, await other.FindSubscriptionAsync(conflict.ConflictId, default));
        Assert.Null(await other.FindSubscriptionAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task GetActiveClaims_OnlySubscriptionsWhereThePartnerHasAnActiveClaim()
    {
        var store = CreateStore();
        var (active, withdrawn, othersOnly, nothing, notAsked) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(active), claims: [Claim(active, Other), Claim(active, Claimant)]), default));
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(withdrawn), claims: [Claim(withdrawn, Claimant) with { Status = ClaimStatus.Withdrawn }]), default));
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(othersOnly), claims: [Claim(othersOnly, Other)]), default));
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(notAsked), claims: [Claim(notAsked, Claimant)]), default));

        var found = await CreateStore().GetActiveClaimsAsync(Claimant, [active, withdrawn, othersOnly, nothing], default);

        Assert.Equal(new[] { active }, found);
        Assert.Empty(await store.GetActiveClaimsAsync(Claimant, [], default));
    }

    [Fact]
    public async Task ReserveKey_FirstTakerWins_EveryLaterTakerGetsTheFirstReservation()
    {
        var sub = Guid.NewGuid();
        Assert.Null(await CreateStore().FindKeyAsync("api:crm:k1", default));
        var takers = Enumerable.Range(0, 4).Select(i => (Hash: $"hash-{i}", ClaimId: Guid.NewGuid())).ToList();

        var answers = await Task.WhenAll(takers.Select(t => Task.Run(() => CreateStore().ReserveKeyAsync("api:crm:k1", t.Hash, t.ClaimId, sub, default))));

        var first = answers[0];
        Assert.All(answers, a => Assert.Equal(first, a));
        Assert.Contains(takers, t => t.Hash == first.RequestHash && t.ClaimId == first.ClaimId);
        Assert.Equal(new ClaimKey("api:crm:k1", first.RequestHash, first.ClaimId, sub, false), await CreateStore().FindKeyAsync("api:crm:k1", default));
    }

    [Fact]
    public async Task CancelKey_BeforeAnyRequest_CancelsIt_AndALaterReservationGetsTheCancelledCard()
    {
        var store = CreateStore();
        var key = "card:" + new string('x', 200) + "/#?|!%";

        Assert.True(await store.CancelKeyAsync(key, default));
        Assert.True(await CreateStore().CancelKeyAsync(key, default));
        var reserved = await CreateStore().ReserveKeyAsync(key, "hash", Guid.NewGuid(), Guid.NewGuid(), default);

        Assert.Equal(new ClaimKey(key, null, null, null, true), reserved);
        Assert.Equal(reserved, await store.FindKeyAsync(key, default));
    }

    [Fact]
    public async Task CancelKey_AfterARequestTookIt_IsRefused_AndTheReservationStays()
    {
        var (claimId, sub) = (Guid.NewGuid(), Guid.NewGuid());
        var reserved = await CreateStore().ReserveKeyAsync("card:k2", "hash", claimId, sub, default);

        Assert.False(await CreateStore().CancelKeyAsync("card:k2", default));

        Assert.Equal(new ClaimKey("card:k2", "hash", claimId, sub, false), reserved);
        Assert.Equal(reserved, await CreateStore().FindKeyAsync("card:k2", default));
    }

    [Fact]
    public async Task TrySave_WithAlerts_QueuesThemWhenSaved_PendingWithAPlace_WaitingWithout()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);
        var alerts = new[] { Alert(conflict.ConflictId, Por, 1), Alert(conflict.ConflictId, Claimant, 2), new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Other, null) };

        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Claimant, conflict.ConflictId)], conflicts: [conflict], alerts: alerts), default));

        var due = await DueAsync();
        Assert.Equal(alerts[..2].Select(a => a.AlertId).Order(), due.Select(d => d.AlertId).Order());
        var pending = due.Single(d => d.AlertId == alerts[0].AlertId);
        Assert.Equal((conflict.ConflictId, AlertKinds.Alert, 0, Por, "tenant-1", "a:chat-1", "aad-1"),
            (pending.ConflictId, pending.Kind, pending.Revision, pending.PartyPartnerId, pending.TenantId, pending.ConversationId, pending.UserAadObjectId));
        Assert.Equal(alerts[2].AlertId, Assert.Single(await _outbox.ListWaitingAsync(10, default)).AlertId);
        Assert.Equal(0, await store.FinishPendingFanOutAsync(default));
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task TrySave_Refused_QueuesNoAlerts_AndLeavesNoFanOut()
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Por)]), default));
        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);

        Assert.False(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), conflicts: [conflict], alerts: [Alert(conflict.ConflictId, Por, 1)]), default));

        Assert.Empty(await DueAsync());
        Assert.Equal(0, await store.FinishPendingFanOutAsync(default));
        Assert.Empty(await DueAsync());
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task OutboxFailsRightAfterTheSave_TheSaveStands_AndRecoveryQueuesEachAlertOnce()
    {
        var sub = Guid.NewGuid();
        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);
        var alerts = Enumerable.Range(1, 3).Select(i => Alert(conflict.ConflictId, i == 1 ? Por : Claimant, i)).ToList();
        var crashing = CreateStore(FailingOnceOutbox.Wrap(_outbox));

        Assert.True(await crashing.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(sub, Claimant, conflict.ConflictId)], conflicts: [conflict], alerts: alerts), default));
        Assert.Empty(await DueAsync());
        Assert.Single((await CreateStore().LoadAsync(sub, default)).Conflicts);

        var recovered = await Task.WhenAll(Task.Run(() => CreateStore().FinishPendingFanOutAsync(default)), Task.Run(() => CreateStore().FinishPendingFanOutAsync(default)));

        Assert.Equal(3, recovered.Sum());
        Assert.Equal(alerts.Select(a => a.AlertId).Order(), (await DueAsync()).Select(d => d.AlertId).Order());
        Assert.Equal(0, await CreateStore().FinishPendingFanOutAsync(default));
        Assert.Equal(3, (await DueAsync()).Count);
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task Recovery_AFanOutTheOutboxRefuses_DoesNotHoldUpTheOthers_AndIsFinishedOnTheNextPass()
    {
        var changes = new List<ClaimsChange>();
        for (var i = 0; i < 2; i++)
        {
            var sub = Guid.NewGuid();
            var conflict = Conflict(sub);
            await SeedOutboxConflictsAsync([conflict]);
            var change = Change(SubscriptionClaims.Empty(sub), conflicts: [conflict], alerts: [Alert(conflict.ConflictId, Por, i)]);
            Assert.True(await CreateStore(FailingOnceOutbox.Wrap(_outbox)).TrySaveAsync(change, default));
            changes.Add(change);
        }

        var recovery = CreateStore(FailingOnceOutbox.Wrap(_outbox));

        Assert.Equal(1, await recovery.FinishPendingFanOutAsync(default));
        Assert.Equal(1, await recovery.FinishPendingFanOutAsync(default));
        Assert.Equal(changes.Select(c => c.Alerts[0].AlertId).Order(), (await DueAsync()).Select(d => d.AlertId).Order());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(5_000)]
    public async Task TrySave_FanOutLargerThanOneRow_QueuesEveryAlert(int places)
    {
        var store = CreateStore();
        var sub = Guid.NewGuid();
        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);
        var claims = Enumerable.Range(0, 40).Select(i => Claim(sub, (7_000_000 + i).ToString(CultureInfo.InvariantCulture), conflict.ConflictId)).ToList();
        var alerts = Enumerable.Range(0, places).Select(i => Alert(conflict.ConflictId, Por, i)).ToList();

        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: claims, conflicts: [conflict], alerts: alerts), default));

        Assert.Equal(places, (await DueAsync(places + 10)).Count);
        Assert.Equal(40, (await store.LoadAsync(sub, default)).Claims.Count);
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task LargeFanOut_OutboxFailsAfterTheSave_RecoveryQueuesEveryAlertOnce()
    {
        var sub = Guid.NewGuid();
        var conflict = Conflict(sub);
        await SeedOutboxConflictsAsync([conflict]);
        var alerts = Enumerable.Range(0, 3_000).Select(i => Alert(conflict.ConflictId, Claimant, i)).ToList();

        Assert.True(await CreateStore(FailingOnceOutbox.Wrap(_outbox)).TrySaveAsync(
            Change(SubscriptionClaims.Empty(sub), conflicts: [conflict], alerts: alerts), default));
        var recovered = await CreateStore().FinishPendingFanOutAsync(default);

        // The first row's alerts were refused by the outbox; the save itself stopped there, so recovery queued them all.
        Assert.Equal(3_000, recovered);
        Assert.Equal(3_000, (await DueAsync(5_000)).Count);
        Assert.Equal(0, await CountFanOutRowsAsync(sub));
    }

    [Fact]
    public async Task Recovery_LeftoversOfASaveThatNeverCommitted_AreRemovedOnlyOnceTheyAreOld()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sub = Guid.NewGuid();
        var changeId = Guid.NewGuid();
        await WriteUncommittedFanOutAsync(sub, changeId, time.GetUtcNow());
        var store = CreateStore(time: time);

        Assert.Equal(0, await store.FinishPendingFanOutAsync(default));
        Assert.Equal(1, await CountFanOutRowsAsync(sub));

        time.Advance(AzureTableClaimStore.FanOutGracePeriod + TimeSpan.FromSeconds(1));
        Assert.Equal(0, await store.FinishPendingFanOutAsync(default));

        Assert.Equal(0, await CountFanOutRowsAsync(sub));
        Assert.Empty(await DueAsync());
        var index = _clients.Table(AzureTableNames.ClaimIndex).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"fanout"}"));
        Assert.Empty(await index.ToListAsync());
    }

    [Fact]
    public async Task TrySave_ChangeTooBigForOneTransaction_IsRefusedWithAClearError_AndNothingIsSaved()
    {
        var sub = Guid.NewGuid();
        var claims = Enumerable.Range(0, 100).Select(i => Claim(sub, (7_000_000 + i).ToString(CultureInfo.InvariantCulture))).ToList();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CreateStore().TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: claims), default));

        Assert.Contains("101 rows", error.Message, StringComparison.Ordinal);
        Assert.Empty((await CreateStore().LoadAsync(sub, default)).Claims);
    }

    [Fact]
    public async Task TrySave_AClaimOfAnotherSubscription_IsRefused()
    {
        var sub = Guid.NewGuid();

        await Assert.ThrowsAsync<ArgumentException>(() => CreateStore().TrySaveAsync(Change(SubscriptionClaims.Empty(sub), claims: [Claim(Guid.NewGuid(), Claimant)]), default));

        Assert.Null((await CreateStore().LoadAsync(sub, default)).ConcurrencyToken);
    }

    private static StoredClaim Claim(Guid sub, string partner, Guid? conflictId = null) =>
        new(Guid.NewGuid(), sub, partner, ClaimSources.Chat, null, null, conflictId is null ? ClaimOutcome.Pending : ClaimOutcome.Conflict,
            conflictId, ClaimStatus.Active, null, null, null, null, true, T0, T0);

    private static StoredConflict Conflict(Guid sub) => new(Guid.NewGuid(), sub, Por, ConflictStatus.Open, null, null, true, 1, T0, T0);

    private static NewAlert Alert(Guid conflictId, string party, int place) => new(conflictId, AlertKinds.Alert, 0, party,
        TestReferences.Place("tenant-1", $"a:chat-{place}", $"aad-{place}", "personal") with { UserId = $"29:user-{place}", UserName = "Megan Bowen", UpdatedAt = T0 });

    private static ClaimsChange Change(SubscriptionClaims based, IReadOnlyList<StoredClaim>? claims = null, IReadOnlyList<StoredConflict>? conflicts = null,
        IReadOnlyList<StoredProof>? proofs = null, IReadOnlyList<NewAlert>? alerts = null) =>
        new(based, claims ?? [], conflicts ?? [], proofs ?? [], alerts ?? []);

    private Task<IReadOnlyList<OutboxItem>> DueAsync(int max = 100) => _outbox.ListDueAsync(max, [], [], default);

    // The SQLite outbox's rows reference SQLite's conflicts table (migration 004); the conflicts these tests alert
    // about, kept in Azure, get a stand-in row there.
    private async Task SeedOutboxConflictsAsync(IEnumerable<StoredConflict> conflicts)
    {
        await using var connection = await _sqlite.Database.OpenAsync(default);
        foreach (var conflict in conflicts)
        {
            await connection.Command("""
                INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, version, created_at, updated_at)
                VALUES ($id, $sub, $por, 'Resolved', 1, $now, $now)
                """).With("$id", conflict.ConflictId.ToString("D")).With("$sub", conflict.SubscriptionId.ToString("D")).With("$por", conflict.CurrentPorPartnerId)
                .With("$now", T0.ToDbTime()).ExecuteNonQueryAsync();
        }
    }

    private async Task<int> CountFanOutRowsAsync(Guid sub)
    {
        var rows = _clients.Table(AzureTableNames.Claims).QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {sub.ToString("D")} and RowKey ge {AzureClaimRows.FanOutPrefix}"));
        return (await rows.ToListAsync()).Count;
    }

    /// <summary>What a save leaves when its process stops after staging its fan-out, before its transaction.</summary>
    private async Task WriteUncommittedFanOutAsync(Guid sub, Guid changeId, DateTimeOffset at)
    {
        await _clients.Table(AzureTableNames.ClaimIndex).AddEntityAsync(new TableEntity(AzureClaimRows.FanOutIndexPartition, AzureClaimRows.FanOutIndexRow(sub, changeId))
        {
            ["SubscriptionId"] = sub, ["ChangeId"] = changeId, ["CreatedAt"] = at,
        });
        await _clients.Table(AzureTableNames.Claims).AddEntityAsync(new TableEntity(AzureClaimRows.Partition(sub), AzureClaimRows.FanOutRowPrefix(changeId) + "0000")
        {
            ["ChangeId"] = changeId, ["Alerts"] = 1, ["Committed"] = false, ["CreatedAt"] = at,
            ["Json0"] = $$"""[{"ConflictId":"{{Guid.NewGuid():D}}","Kind":"Alert","Revision":0,"PartyPartnerId":"{{Por}}"}]""",
        });
    }

    /// <summary>Lets the first entity group transaction reach the table, then loses its answer, as a dropped connection would.</summary>
    private sealed class LoseOneTransactionAnswer : HttpPipelinePolicy
    {
        public bool Lost { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (!Lost && message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal))
            {
                Lost = true;
                throw new IOException("The connection was reset before the answer arrived.");
            }
        }
    }

    /// <summary>An outbox that refuses the first enqueue, as a process stopping right after the save would leave it.</summary>
    public class FailingOnceOutbox : DispatchProxy
    {
        private IAlertOutbox _inner = null!;
        private int _failed;

        public static IAlertOutbox Wrap(IAlertOutbox inner)
        {
            var proxy = Create<IAlertOutbox, FailingOnceOutbox>();
            ((FailingOnceOutbox)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IAlertOutbox.EnqueueAsync) && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                return Task.FromException<int>(new IOException("The process stopped before the alerts were queued."));
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
