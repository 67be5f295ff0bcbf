using PorBot.Conflicts;
using PorBot.Lookups;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>The claim rules of the source document, the conflict they open, and the alert outbox rows written with it.</summary>
public sealed class ClaimRulesTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Claim_ByCurrentPor_IsNoOpWithoutConflictOrAlerts()
    {
        var result = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Contoso);

        Assert.Equal(ClaimOutcome.NoOp, result.Outcome);
        Assert.Null(result.ConflictId);
        Assert.Equal(0, await _bot.CountAsync("conflicts"));
        Assert.Empty(await _bot.OutboxAsync());
    }

    [Fact]
    public async Task Claim_WhereNoPorIsSet_IsPendingForTheCustomerAndChangesNoRegistry()
    {
        var result = await _bot.ClaimAsync(Claims.Unheld, Claims.Fabrikam);

        Assert.Equal(ClaimOutcome.Pending, result.Outcome);
        Assert.Null(result.ConflictId);
        Assert.Empty(await _bot.OutboxAsync());
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Null(subscription!.PorPartnerId);
    }

    [Fact]
    public async Task Claim_OnAnotherPartnersSubscription_OpensConflictWithOneAlertPerPartyAndLiveConversation()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, "a:contoso-megan", "11111111-1111-4111-8111-111111111111");
        await _bot.AddConversationAsync(Sample.ContosoTenant, "19:contoso-alerts@thread.tacv2");
        await _bot.AddConversationAsync(Sample.FabrikamTenant, "a:fabrikam-lee", "22222222-2222-4222-8222-222222222222");
        await _bot.AddConversationAsync(Sample.NorthwindTenant, "a:northwind-not-a-party", "33333333-3333-4333-8333-333333333333");

        var result = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        Assert.Equal(ClaimOutcome.Conflict, result.Outcome);
        var conflictId = Assert.IsType<Guid>(result.ConflictId);
        var rows = await _bot.OutboxAsync();
        Assert.All(rows, r => Assert.Equal((conflictId, "Alert", "Pending"), (r.ConflictId, r.Kind, r.Status)));
        Assert.Equal(
            [
                (Claims.Contoso, "19:contoso-alerts@thread.tacv2", ""),
                (Claims.Contoso, "a:contoso-megan", "11111111-1111-4111-8111-111111111111"),
                (Claims.Fabrikam, "a:fabrikam-lee", "22222222-2222-4222-8222-222222222222"),
            ],
            rows.Select(r => (r.Party, r.Conversation!, r.User!)).Order().ToList());

        var conflict = await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None);
        Assert.Equal((ConflictStatus.Open, Claims.Contoso, 1), (conflict!.Status, conflict.CurrentPorPartnerId, conflict.Version));
        Assert.Equal([Claims.Fabrikam], conflict.Claimants.Select(c => c.PartnerId));
    }

    [Fact]
    public async Task Claim_PartyWithoutLiveConversation_GetsOneWaitingRowWithoutTarget()
    {
        await _bot.AddConversationAsync(Sample.FabrikamTenant, "a:fabrikam-lee", "22222222-2222-4222-8222-222222222222");
        await _bot.AddConversationAsync(Sample.ContosoTenant, "a:contoso-gone", "11111111-1111-4111-8111-111111111111");
        await _bot.GetRequiredService<PorBot.Conversations.IConversationReferenceStore>().MarkDeadAsync("a:contoso-gone", "uninstalled", CancellationToken.None);

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var rows = await _bot.OutboxAsync();
        var waiting = Assert.Single(rows, r => r.Party == Claims.Contoso);
        Assert.Equal(("Waiting", null, null, null), (waiting.Status, waiting.Tenant, waiting.Conversation, waiting.User));
        Assert.Equal("Pending", Assert.Single(rows, r => r.Party == Claims.Fabrikam).Status);
    }

    [Fact]
    public async Task Claim_SecondClaimant_JoinsTheOpenConflictAndEarlierPartiesGetAnUpdateNotASecondAlert()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, "a:contoso-megan", "11111111-1111-4111-8111-111111111111");
        await _bot.AddConversationAsync(Sample.NorthwindTenant, "a:northwind-kim", "33333333-3333-4333-8333-333333333333");
        var first = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var second = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Northwind);

        Assert.Equal(ClaimOutcome.Conflict, second.Outcome);
        Assert.Equal(first.ConflictId, second.ConflictId);
        Assert.NotEqual(first.ClaimId, second.ClaimId);
        Assert.Equal(1, await _bot.CountAsync("conflicts"));
        var rows = await _bot.OutboxAsync();
        Assert.Equal(
            [("Alert", Claims.Contoso, "Pending"), ("Alert", Claims.Fabrikam, "Waiting"), ("Alert", Claims.Northwind, "Pending")],
            rows.Where(r => r.Kind == "Alert").Select(r => (r.Kind, r.Party, r.Status)).ToList());
        Assert.Equal([Claims.Contoso, Claims.Fabrikam], rows.Where(r => r.Kind == "Update").Select(r => r.Party).ToList());
        var conflict = await _bot.Service().GetConflictAsync(first.ConflictId!.Value, CancellationToken.None);
        Assert.Equal(2, conflict!.Version);
        Assert.Equal([Claims.Fabrikam, Claims.Northwind], conflict.Claimants.Select(c => c.PartnerId));
    }

    [Fact]
    public async Task Claim_SamePartnerAgain_ReturnsTheActiveClaimWithoutNewRows()
    {
        var first = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var outbox = (await _bot.OutboxAsync()).Count;

        var again = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        Assert.Equal((first.ClaimId, first.ConflictId, true), (again.ClaimId, again.ConflictId, again.Replayed));
        Assert.Equal(1, await _bot.CountAsync("claims"));
        Assert.Equal(outbox, (await _bot.OutboxAsync()).Count);
    }

    [Fact]
    public async Task Claim_UnknownSubscriptionAndPartner_ListsBothProblemsAndRecordsNothing()
    {
        var unknownSubscription = Guid.Parse("00000000-1111-4222-8333-444444444444");

        var error = await Assert.ThrowsAsync<ClaimValidationException>(() => _bot.ClaimAsync(unknownSubscription, "9999999"));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains(unknownSubscription.ToString("D"), StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("9999999", StringComparison.Ordinal));
        Assert.Equal(0, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task Claim_WhenWritingAnAlertFails_LeavesNoClaimConflictOrAlert()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, "a:contoso-megan", "11111111-1111-4111-8111-111111111111");
        // The second outbox row fails: the claim, the conflict and the first row were already written in the transaction.
        await _bot.ExecuteAsync("""
            CREATE TRIGGER test_fail_second_alert BEFORE INSERT ON alert_outbox
            WHEN (SELECT count(*) FROM alert_outbox) >= 1
            BEGIN SELECT RAISE(ABORT, 'disk full'); END;
            """);

        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() => _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam));

        Assert.Equal(0, await _bot.CountAsync("claims"));
        Assert.Equal(0, await _bot.CountAsync("conflicts"));
        Assert.Equal(0, await _bot.CountAsync("alert_outbox"));

        await _bot.ExecuteAsync("DROP TRIGGER test_fail_second_alert");
        var retried = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        Assert.Equal(ClaimOutcome.Conflict, retried.Outcome);
        Assert.Equal(2, await _bot.CountAsync("alert_outbox"));
    }

    [Fact]
    public async Task Claim_SameIdempotencyKeyWithOtherRequest_IsRefused()
    {
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam, idempotencyKey: "k1");

        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => _bot.ClaimAsync(Claims.Unheld, Claims.Fabrikam, idempotencyKey: "k1"));
        Assert.Equal(1, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task Resolve_ForTheClaimant_UpdatesRegistryClaimsAndQueuesCardUpdates()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, "a:contoso-megan", "11111111-1111-4111-8111-111111111111");
        var fabrikam = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var northwind = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Northwind);

        var state = await _bot.Service().ResolveAsync(fabrikam.ConflictId!.Value, Claims.Fabrikam, "operator:test", CancellationToken.None);

        Assert.Equal((ConflictStatus.Resolved, Claims.Fabrikam, 3), (state.Status, state.WinnerPartnerId, state.Version));
        Assert.Equal([(fabrikam.ClaimId, ClaimStatus.Won), (northwind.ClaimId, ClaimStatus.Lost)], state.Claimants.Select(c => (c.ClaimId, c.Status)));
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.ContosoHeld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
        var updates = (await _bot.OutboxAsync()).Where(r => r.Kind == "Update" && r.Revision == 3).Select(r => r.Party).ToList();
        Assert.Equal([Claims.Contoso, Claims.Fabrikam, Claims.Northwind], updates);

        // A new conflict on the subscription can open later (the old one is closed).
        var next = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Contoso);
        Assert.Equal(ClaimOutcome.Conflict, next.Outcome);
        Assert.NotEqual(fabrikam.ConflictId, next.ConflictId);
    }

    [Fact]
    public async Task Resolve_SameDecisionTwice_IsIdempotentAndAnotherDecisionIsRefused()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var service = _bot.Service();
        var first = await service.ResolveAsync(claim.ClaimId, Claims.Fabrikam, "op", CancellationToken.None);
        var outbox = (await _bot.OutboxAsync()).Count;

        var again = await service.ResolveAsync(claim.ConflictId!.Value, Claims.Fabrikam, "op", CancellationToken.None);
        var other = await Assert.ThrowsAsync<ConflictAlreadyResolvedException>(() => service.ResolveAsync(claim.ConflictId!.Value, Claims.Contoso, "op", CancellationToken.None));

        Assert.Equal(first, again with { Claimants = first.Claimants });
        Assert.Equal(first.Claimants, again.Claimants);
        Assert.Equal(Claims.Fabrikam, other.State.WinnerPartnerId);
        Assert.Equal(outbox, (await _bot.OutboxAsync()).Count);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.ContosoHeld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
    }

    [Fact]
    public async Task Resolve_TwoDifferentDecisionsAtOnce_OneWinsAndTheOtherLosesCleanly()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var service = _bot.Service();
        var conflictId = claim.ConflictId!.Value;

        var attempts = await Task.WhenAll(
            Attempt(() => service.ResolveAsync(conflictId, Claims.Fabrikam, "op-1", CancellationToken.None)),
            Attempt(() => service.ResolveAsync(conflictId, Claims.Contoso, "op-2", CancellationToken.None)));

        var winner = Assert.Single(attempts, a => a.State is not null).State!;
        var loser = Assert.Single(attempts, a => a.Error is not null).Error!;
        Assert.Equal(winner.WinnerPartnerId, loser.State.WinnerPartnerId);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.ContosoHeld, CancellationToken.None);
        Assert.Equal(winner.WinnerPartnerId, subscription!.PorPartnerId);
        // Only the winning resolution queued card updates: one Waiting row for each of the two parties.
        Assert.Equal(2, (await _bot.OutboxAsync()).Count(r => r.Kind == "Update"));
    }

    [Fact]
    public async Task Resolve_WinnerNotAParty_IsAValidationProblem()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var error = await Assert.ThrowsAsync<ClaimValidationException>(() => _bot.Service().ResolveAsync(claim.ConflictId!.Value, Claims.Northwind, "op", CancellationToken.None));

        Assert.Contains(Claims.Northwind, error.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Withdraw_LastClaimant_ClosesTheConflictWithThePorUnchanged()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        Assert.False(await _bot.Service().WithdrawAsync(claim.ClaimId, Claims.Northwind, CancellationToken.None));
        Assert.True(await _bot.Service().WithdrawAsync(claim.ClaimId, Claims.Fabrikam, CancellationToken.None));

        var conflict = await _bot.Service().GetConflictAsync(claim.ConflictId!.Value, CancellationToken.None);
        Assert.Equal((ConflictStatus.Resolved, Claims.Contoso), (conflict!.Status, conflict.WinnerPartnerId));
        Assert.Equal(ClaimStatus.Withdrawn, Assert.Single(conflict.Claimants).Status);
        Assert.Contains(await _bot.OutboxAsync(), r => r.Kind == "Update" && r.Revision == 2);
    }

    private static async Task<(ConflictState? State, ConflictAlreadyResolvedException? Error)> Attempt(Func<Task<ConflictState>> resolve)
    {
        try
        {
            return (await resolve(), null);
        }
        catch (ConflictAlreadyResolvedException e)
        {
            return (null, e);
        }
    }
}
