using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Storage.AzureStorage;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// What every <see cref="IClaimStore"/> does, whatever holds the claims. "Another instance" is a second store over
/// the same storage, as a second bot process behind a load balancer would have; the outbox is the one the store's
/// alerts are queued in, read back through <see cref="IAlertOutbox"/>.
/// </summary>
public abstract class ClaimStoreContract : IAsyncLifetime
{
    private const string Contoso = "4412345";
    private const string Fabrikam = "5523456";
    private const string Northwind = "6634567";

    private static readonly DateTimeOffset Opened = new(2025, 3, 4, 5, 6, 7, 123, TimeSpan.Zero);

    private readonly Guid _subscription = Guid.NewGuid();

    /// <summary>A store over this test's storage and the outbox it queues alerts in; every call gives another instance over the same data.</summary>
    protected abstract Task<(IClaimStore Store, IAlertOutbox Outbox)> CreateStoreAsync();

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task Load_NothingStored_IsEmptyWithoutToken()
    {
        var (store, _) = await CreateStoreAsync();

        var loaded = await store.LoadAsync(_subscription, default);

        Assert.Equal(_subscription, loaded.SubscriptionId);
        Assert.Null(loaded.ConcurrencyToken);
        Assert.Empty(loaded.Claims);
        Assert.Empty(loaded.Conflicts);
        Assert.Empty(loaded.Proofs);
    }

    [Fact]
    public async Task TrySave_FirstChange_RoundTripsEveryField()
    {
        var (store, _) = await CreateStoreAsync();
        var conflict = Conflict() with
        {
            Status = ConflictStatus.Resolved, WinnerPartnerId = Fabrikam, ResolvedBy = "operator:7f1c", RegistrySynced = false, Version = 3,
            UpdatedAt = Opened.AddMinutes(5),
        };
        // Every optional field set, and every one empty; a time given with an offset is kept as the same instant.
        var full = Claim(Fabrikam, conflict.ConflictId) with
        {
            Source = "api:crm", SourceSystem = "Dynamics", Note = "Signed the renewal — ü, 漢字 and \"quotes\"", Status = ClaimStatus.Won,
            IdempotencyKey = "api:crm|order-4711", RequestHash = "A1B2C3", DecidedPorPartnerId = Fabrikam, DecidedBy = "operator:7f1c",
            RegistrySynced = false, CreatedAt = new DateTimeOffset(2025, 3, 4, 7, 6, 8, 456, TimeSpan.FromHours(2)), UpdatedAt = Opened.AddMinutes(5),
        };
        var bare = Claim(Northwind, null) with { Outcome = ClaimOutcome.Pending, Status = ClaimStatus.Lost };
        var linked = new StoredProof(Guid.NewGuid(), conflict.ConflictId, Contoso, "Migration in progress\nsince May", "https://example.com/sow?id=1&x=2", "aad-1", Opened.AddMinutes(1));
        var unlinked = new StoredProof(Guid.NewGuid(), conflict.ConflictId, Fabrikam, "Workshops", null, "aad-2", Opened.AddMinutes(2));

        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [full, bare], [conflict], [linked, unlinked]), default));

        var (other, _) = await CreateStoreAsync();
        var loaded = await other.LoadAsync(_subscription, default);
        Assert.Equal(_subscription, loaded.SubscriptionId);
        Assert.NotNull(loaded.ConcurrencyToken);
        Assert.Equal(new[] { full, bare }.OrderBy(c => c.ClaimId), loaded.Claims.OrderBy(c => c.ClaimId));
        Assert.Equal([conflict], loaded.Conflicts);
        Assert.Equal(new[] { linked, unlinked }.OrderBy(p => p.ProofId), loaded.Proofs.OrderBy(p => p.ProofId));
    }

    [Fact]
    public async Task TrySave_AgainstTheLatestRead_ReplacesClaimsAndConflictsByIdAndAddsProofs()
    {
        var (store, _) = await CreateStoreAsync();
        var conflict = Conflict();
        var claim = Claim(Fabrikam, conflict.ConflictId);
        var first = new StoredProof(Guid.NewGuid(), conflict.ConflictId, Contoso, "first", null, "aad-1", Opened);
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [claim], [conflict], [first]), default));
        var read = await store.LoadAsync(_subscription, default);

        var resolved = conflict with { Status = ConflictStatus.Resolved, WinnerPartnerId = Fabrikam, ResolvedBy = "op", Version = 2, UpdatedAt = Opened.AddHours(1) };
        var won = claim with { Status = ClaimStatus.Won, UpdatedAt = Opened.AddHours(1) };
        var joined = Claim(Northwind, conflict.ConflictId);
        var second = new StoredProof(Guid.NewGuid(), conflict.ConflictId, Fabrikam, "second", "https://example.com", "aad-2", Opened.AddMinutes(1));
        Assert.True(await store.TrySaveAsync(Change(read, [won, joined], [resolved], [second]), default));

        var loaded = await store.LoadAsync(_subscription, default);
        Assert.NotEqual(read.ConcurrencyToken, loaded.ConcurrencyToken);
        Assert.Equal(new[] { won, joined }.OrderBy(c => c.ClaimId), loaded.Claims.OrderBy(c => c.ClaimId));
        Assert.Equal([resolved], loaded.Conflicts);
        Assert.Equal(new[] { first, second }.OrderBy(p => p.ProofId), loaded.Proofs.OrderBy(p => p.ProofId));
    }

    [Fact]
    public async Task TrySave_BaseReadBeforeAnotherSave_IsRefusedAndSavesNothing()
    {
        var (store, _) = await CreateStoreAsync();
        var (other, _) = await CreateStoreAsync();
        var empty = await store.LoadAsync(_subscription, default);
        Assert.True(await other.TrySaveAsync(Change(empty, [Claim(Fabrikam, null)]), default));

        // Nothing was stored when this base was read: a second first save is refused too.
        Assert.False(await store.TrySaveAsync(Change(empty, [Claim(Northwind, null)]), default));

        var read = await store.LoadAsync(_subscription, default);
        Assert.True(await other.TrySaveAsync(Change(read, [Claim(Contoso, null)]), default));
        Assert.False(await store.TrySaveAsync(Change(read, [Claim(Northwind, null)]), default));

        var loaded = await store.LoadAsync(_subscription, default);
        Assert.Equal([Contoso, Fabrikam], loaded.Claims.Select(c => c.ClaimantPartnerId).Order());
    }

    [Fact]
    public async Task TrySave_TokenThatWasNeverStored_IsRefused()
    {
        var (store, _) = await CreateStoreAsync();
        var invented = SubscriptionClaims.Empty(_subscription) with { ConcurrencyToken = "not-a-token-this-store-gave" };

        Assert.False(await store.TrySaveAsync(Change(invented, [Claim(Fabrikam, null)]), default));

        Assert.Empty((await store.LoadAsync(_subscription, default)).Claims);
    }

    [Fact]
    public async Task TrySave_InstancesSavingFromTheSameRead_ExactlyOneWins()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CreateStoreAsync()));
        var empty = await stores[0].Store.LoadAsync(_subscription, default);
        var firsts = Enumerable.Range(0, stores.Length).Select(_ => Claim(Fabrikam, null)).ToList();

        var firstResults = await Task.WhenAll(stores.Select((s, i) => s.Store.TrySaveAsync(Change(empty, [firsts[i]]), default)));

        Assert.Equal(1, firstResults.Count(r => r));
        var read = await stores[0].Store.LoadAsync(_subscription, default);
        Assert.Equal(firsts[Array.IndexOf(firstResults, true)].ClaimId, Assert.Single(read.Claims).ClaimId);

        var seconds = Enumerable.Range(0, stores.Length).Select(_ => Claim(Northwind, null)).ToList();
        var secondResults = await Task.WhenAll(stores.Select((s, i) => s.Store.TrySaveAsync(Change(read, [seconds[i]]), default)));

        Assert.Equal(1, secondResults.Count(r => r));
        var loaded = await stores[0].Store.LoadAsync(_subscription, default);
        Assert.Equal(2, loaded.Claims.Count);
        Assert.Contains(loaded.Claims, c => c.ClaimId == seconds[Array.IndexOf(secondResults, true)].ClaimId);
    }

    [Fact]
    public async Task TrySave_OtherSubscriptions_AreSavedIndependently()
    {
        var (store, _) = await CreateStoreAsync();
        var otherSubscription = Guid.NewGuid();
        var read = await store.LoadAsync(_subscription, default);
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(otherSubscription), [Claim(Fabrikam, null, otherSubscription)]), default));

        Assert.True(await store.TrySaveAsync(Change(read, [Claim(Fabrikam, null)]), default));

        Assert.Single((await store.LoadAsync(otherSubscription, default)).Claims);
        Assert.Single((await store.LoadAsync(_subscription, default)).Claims);
    }

    [Fact]
    public async Task FindSubscription_ByClaimOrConflictId_NamesItsSubscription()
    {
        var (store, _) = await CreateStoreAsync();
        var conflict = Conflict();
        var claim = Claim(Fabrikam, conflict.ConflictId);
        var pending = Claim(Northwind, null, Guid.NewGuid());
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [claim], [conflict]), default));
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(pending.SubscriptionId), [pending]), default));

        var (other, _) = await CreateStoreAsync();
        Assert.Equal(_subscription, await other.FindSubscriptionAsync(claim.ClaimId, default));
        Assert.Equal(_subscription, await other.FindSubscriptionAsync(conflict.ConflictId, default));
        Assert.Equal(pending.SubscriptionId, await other.FindSubscriptionAsync(pending.ClaimId, default));
        Assert.Null(await other.FindSubscriptionAsync(Guid.NewGuid(), default));
        Assert.Null(await other.FindSubscriptionAsync(_subscription, default));
    }

    [Fact]
    public async Task GetActiveClaims_OnlyThePartnersActiveClaimsAmongTheAskedSubscriptions()
    {
        var (store, _) = await CreateStoreAsync();
        var (active, alsoActive, withdrawn, others, notAsked) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await SaveAsync(store, Claim(Fabrikam, null, active), Claim(Fabrikam, null, active) with { Status = ClaimStatus.Lost });
        await SaveAsync(store, Claim(Fabrikam, null, alsoActive));
        await SaveAsync(store, Claim(Fabrikam, null, withdrawn) with { Status = ClaimStatus.Withdrawn }, Claim(Fabrikam, null, withdrawn) with { Status = ClaimStatus.Won });
        await SaveAsync(store, Claim(Northwind, null, others));
        await SaveAsync(store, Claim(Fabrikam, null, notAsked));

        var found = await store.GetActiveClaimsAsync(Fabrikam, [active, alsoActive, withdrawn, others, Guid.NewGuid()], default);

        Assert.Equal(new[] { active, alsoActive }.Order(), found.Order());
        Assert.Empty(await store.GetActiveClaimsAsync(Fabrikam, [], default));
        Assert.Empty(await store.GetActiveClaimsAsync(Contoso, [active, alsoActive], default));
    }

    [Fact]
    public async Task ReserveKey_FirstTakerWins_AndALaterRequestSeesItsHash()
    {
        var (store, _) = await CreateStoreAsync();
        var (other, _) = await CreateStoreAsync();
        var mine = Guid.NewGuid();

        var taken = await store.ReserveKeyAsync("api:crm|4711", "HASH-1", mine, _subscription, default);
        var later = await other.ReserveKeyAsync("api:crm|4711", "HASH-2", Guid.NewGuid(), Guid.NewGuid(), default);

        var expected = new ClaimKey("api:crm|4711", "HASH-1", mine, _subscription, Cancelled: false);
        Assert.Equal(expected, taken);
        Assert.Equal(expected, later);
        Assert.Equal(expected, await other.FindKeyAsync("api:crm|4711", default));
        Assert.Null(await other.FindKeyAsync("api:crm|4712", default));
        Assert.Null(await other.FindKeyAsync("API:CRM|4711", default));
    }

    [Fact]
    public async Task Keys_AnyPrintableCharactersAndFullLength_AreKeptApart()
    {
        var (store, _) = await CreateStoreAsync();
        string[] keys =
        [
            "api:crm:a/b#c?d\\e%25",
            "api:crm:a/b#c?d\\e%",
            "api:crm:A/B#C?D\\E%",
            "api:crm:ü 1 \"quoted\" 'x' <y> &z;",
            "api:crm:" + new string('k', ClaimsApi.MaxIdempotencyKeyLength),
            "chat:2f1e0d9c-8b7a-4a6b-9c5d-4e3f2a1b0c9d:aad-1:" + Guid.NewGuid().ToString("N"),
        ];
        var claimIds = keys.Select(_ => Guid.NewGuid()).ToList();

        for (var i = 0; i < keys.Length; i++) await store.ReserveKeyAsync(keys[i], $"HASH-{i}", claimIds[i], _subscription, default);
        Assert.True(await store.CancelKeyAsync(keys[0] + "/cancelled", default));

        var (other, _) = await CreateStoreAsync();
        for (var i = 0; i < keys.Length; i++) Assert.Equal(new ClaimKey(keys[i], $"HASH-{i}", claimIds[i], _subscription, false), await other.FindKeyAsync(keys[i], default));
        Assert.True((await other.FindKeyAsync(keys[0] + "/cancelled", default))!.Cancelled);
    }

    [Fact]
    public async Task ReserveKey_ManyInstancesAtOnce_AllGetTheSameReservation()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CreateStoreAsync()));

        var answers = await Task.WhenAll(stores.Select(s => s.Store.ReserveKeyAsync("card|abc", "HASH", Guid.NewGuid(), _subscription, default)));

        Assert.Single(answers.Distinct());
        Assert.Equal(answers[0], await stores[0].Store.FindKeyAsync("card|abc", default));
    }

    [Fact]
    public async Task CancelKey_BeforeAnyRequest_CancelsForGoodAndARequestSeesIt()
    {
        var (store, _) = await CreateStoreAsync();

        Assert.True(await store.CancelKeyAsync("card|1", default));
        Assert.True(await store.CancelKeyAsync("card|1", default));
        var reserved = await store.ReserveKeyAsync("card|1", "HASH", Guid.NewGuid(), _subscription, default);

        Assert.True(reserved.Cancelled);
        Assert.Equal(new ClaimKey("card|1", null, null, null, Cancelled: true), reserved);
        Assert.Equal(reserved, await store.FindKeyAsync("card|1", default));
    }

    [Fact]
    public async Task CancelKey_AfterARequestTookIt_IsRefusedAndTheRequestKeepsIt()
    {
        var (store, _) = await CreateStoreAsync();
        var claimId = Guid.NewGuid();
        await store.ReserveKeyAsync("card|2", "HASH", claimId, _subscription, default);

        Assert.False(await store.CancelKeyAsync("card|2", default));

        Assert.Equal(new ClaimKey("card|2", "HASH", claimId, _subscription, Cancelled: false), await store.FindKeyAsync("card|2", default));
    }

    [Fact]
    public async Task CancelKeyAndReserveKey_AtOnce_OneWinsAndBothAgreeWhich()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => CreateStoreAsync()));
        for (var round = 0; round < 5; round++)
        {
            var key = $"card|race-{round}";
            var cancel = stores[0].Store.CancelKeyAsync(key, default);
            var reserve = stores[1].Store.ReserveKeyAsync(key, "HASH", Guid.NewGuid(), _subscription, default);
            await Task.WhenAll(cancel, reserve);

            Assert.Equal(await cancel, (await reserve).Cancelled);
            Assert.Equal(await reserve, await stores[0].Store.FindKeyAsync(key, default));
        }
    }

    [Fact]
    public async Task TrySave_Saved_QueuesItsAlerts()
    {
        var (store, outbox) = await CreateStoreAsync();
        var conflict = Conflict();
        var alerts = new[]
        {
            new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Contoso, Place("a:contoso-megan", "aad-megan")),
            new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Contoso, Place("19:contoso@thread.tacv2", "")),
            new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Fabrikam, null),
        };

        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [Claim(Fabrikam, conflict.ConflictId)], [conflict], [], alerts), default));

        var due = await outbox.ListDueAsync(100, [], [], default);
        Assert.Equal(alerts.Take(2).Select(a => a.AlertId).Order(), due.Select(i => i.AlertId).Order());
        Assert.All(due, i => Assert.Equal((conflict.ConflictId, AlertKinds.Alert, 0, Contoso), (i.ConflictId, i.Kind, i.Revision, i.PartyPartnerId)));
        var waiting = Assert.Single(await outbox.ListWaitingAsync(100, default));
        Assert.Equal((alerts[2].AlertId, Fabrikam, null), (waiting.AlertId, waiting.PartyPartnerId, waiting.ConversationId));
    }

    [Fact]
    public async Task TrySave_Refused_QueuesNoAlert()
    {
        var (store, outbox) = await CreateStoreAsync();
        var conflict = Conflict();
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [Claim(Fabrikam, conflict.ConflictId)], [conflict]), default));
        var read = await store.LoadAsync(_subscription, default);
        Assert.True(await store.TrySaveAsync(Change(read, [Claim(Northwind, conflict.ConflictId)]), default));

        var stale = Change(read, [Claim(Contoso, conflict.ConflictId)], [conflict with { Version = 2 }], [],
            [new NewAlert(conflict.ConflictId, AlertKinds.Update, 2, Fabrikam, Place("a:fabrikam-lee", "aad-lee"))]);
        Assert.False(await store.TrySaveAsync(stale, default));

        Assert.Empty(await outbox.ListDueAsync(100, [], [], default));
        Assert.Empty(await outbox.ListWaitingAsync(100, default));
    }

    [Fact]
    public async Task TrySave_SameAlertQueuedAgain_KeepsOneRow()
    {
        var (store, outbox) = await CreateStoreAsync();
        var conflict = Conflict();
        var alert = new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Contoso, Place("a:contoso-megan", "aad-megan"));
        Assert.True(await store.TrySaveAsync(Change(SubscriptionClaims.Empty(_subscription), [Claim(Fabrikam, conflict.ConflictId)], [conflict], [], [alert]), default));
        var read = await store.LoadAsync(_subscription, default);

        // A retried change, or one recovered after a crash, owes the same alert again: the same id.
        var again = new NewAlert(conflict.ConflictId, AlertKinds.Alert, 0, Contoso, Place("a:contoso-megan", "aad-megan"));
        Assert.True(await store.TrySaveAsync(Change(read, [Claim(Northwind, conflict.ConflictId)], [], [], [again]), default));

        Assert.Equal(alert.AlertId, Assert.Single(await outbox.ListDueAsync(100, [], [], default)).AlertId);
        Assert.Equal(0, await outbox.EnqueueAsync([again], default));
    }

    private async Task SaveAsync(IClaimStore store, params StoredClaim[] claims)
    {
        var subscription = claims[0].SubscriptionId;
        Assert.True(await store.TrySaveAsync(Change(await store.LoadAsync(subscription, default), claims), default));
    }

    private static ClaimsChange Change(SubscriptionClaims read, IReadOnlyList<StoredClaim> claims, IReadOnlyList<StoredConflict>? conflicts = null,
        IReadOnlyList<StoredProof>? proofs = null, IReadOnlyList<NewAlert>? alerts = null) =>
        new(read, claims, conflicts ?? [], proofs ?? [], alerts ?? []);

    private StoredConflict Conflict() =>
        new(Guid.NewGuid(), _subscription, Contoso, ConflictStatus.Open, null, null, RegistrySynced: true, Version: 1, Opened, Opened);

    private StoredClaim Claim(string partnerId, Guid? conflictId, Guid? subscriptionId = null) =>
        new(Guid.NewGuid(), subscriptionId ?? _subscription, partnerId, ClaimSources.Chat, null, null,
            conflictId is null ? ClaimOutcome.Pending : ClaimOutcome.Conflict, conflictId, ClaimStatus.Active,
            null, null, null, null, RegistrySynced: true, Opened, Opened);

    private static StoredConversationReference Place(string conversationId, string user) =>
        TestReferences.Place("2f1e0d9c-8b7a-4a6b-9c5d-4e3f2a1b0c9d", conversationId, user) with { ServiceUrl = "https://smba.trafficmanager.net/emea/" };
}

public sealed class SqliteClaimStoreTests : ClaimStoreContract
{
    private SqliteTestStorage _storage = null!;

    protected override Task<(IClaimStore Store, IAlertOutbox Outbox)> CreateStoreAsync() =>
        Task.FromResult<(IClaimStore, IAlertOutbox)>((
            new SqliteClaimStore(_storage.Database, TimeProvider.System),
            new SqliteAlertOutbox(_storage.Database, TimeProvider.System, Options.Create(new AlertDeliveryOptions()))));

    public override async Task InitializeAsync() => _storage = await SqliteTestStorage.CreateAsync();

    public override async Task DisposeAsync() => await _storage.DisposeAsync();
}

/// <summary>The same contract on Azure Storage: the Azure claim store queueing into the Azure outbox, as <c>Storage:Provider=AzureStorage</c> pairs them.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureClaimStoreContractTests(AzuriteFixture azurite) : ClaimStoreContract
{
    private AzureStorageClients _clients = null!;

    protected override Task<(IClaimStore Store, IAlertOutbox Outbox)> CreateStoreAsync()
    {
        var outbox = new AzureQueueAlertOutbox(_clients, TimeProvider.System, Options.Create(new AlertDeliveryOptions()), NullLogger<AzureQueueAlertOutbox>.Instance);
        return Task.FromResult<(IClaimStore, IAlertOutbox)>((
            new AzureTableClaimStore(_clients, outbox, TimeProvider.System, NullLogger<AzureTableClaimStore>.Instance), outbox));
    }

    public override async Task InitializeAsync() => _clients = await azurite.CreateClientsAsync();

    public override Task DisposeAsync() => Task.CompletedTask;
}
