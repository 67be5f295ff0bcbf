using PorBot.Conflicts;

namespace PorBot.Tests.Conflicts;

/// <summary>Claims made at the same moment, repeated, or interrupted: each is recorded once, and nobody's claim is lost.</summary>
public sealed class ClaimRetryTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Claim_TwoPartnersAtOnce_BothEndUpInOneConflict()
    {
        var results = await Task.WhenAll(
            _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam),
            _bot.ClaimAsync(Claims.ContosoHeld, Claims.Northwind));

        Assert.All(results, r => Assert.Equal((ClaimOutcome.Conflict, false), (r.Outcome, r.Replayed)));
        Assert.Equal(results[0].ConflictId, results[1].ConflictId);
        var conflict = await _bot.Service().GetConflictAsync(results[0].ConflictId!.Value, CancellationToken.None);
        Assert.Equal(2, conflict!.Version);
        Assert.Equal([Claims.Fabrikam, Claims.Northwind], conflict.Claimants.Select(c => c.PartnerId).Order());
        Assert.Equal(1, await _bot.CountAsync("conflicts"));
    }

    [Fact]
    public async Task Claim_SameKeySentTwiceAtOnce_RecordsOnceAndBothAnswersNameThatClaim()
    {
        var request = new ClaimRequest(Claims.ContosoHeld, Claims.Fabrikam, ClaimSources.Api("crm"), "CRM", "from CRM", "api:crm:at-once");

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _bot.Service().ClaimAsync(request, CancellationToken.None)));

        Assert.Single(results.Select(r => r.ClaimId).Distinct());
        Assert.Single(results, r => !r.Replayed);
        Assert.Equal(1, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task Claim_RefusedAsInvalid_LeavesItsKeyFreeForTheCorrectedRequest()
    {
        var unknown = Guid.Parse("00000000-1111-4222-8333-444444444444");
        await Assert.ThrowsAsync<ClaimValidationException>(() => _bot.ClaimAsync(unknown, Claims.Fabrikam, idempotencyKey: "api:crm:typo"));

        var corrected = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam, idempotencyKey: "api:crm:typo");

        Assert.Equal((ClaimOutcome.Conflict, false), (corrected.Outcome, corrected.Replayed));
    }

    [Fact]
    public async Task Claim_KeyTakenByTheSameRequestThatNeverGotRecorded_RecordsItUnderTheClaimIdItReserved()
    {
        // A process took the key and stopped before its claim was saved.
        var request = new ClaimRequest(Claims.Unheld, Claims.Fabrikam, ClaimSources.Chat, IdempotencyKey: "chat:tenant:user:card-1");
        var reserved = Guid.NewGuid();
        await _bot.GetRequiredService<IClaimStore>().ReserveKeyAsync("chat:tenant:user:card-1", ClaimService.RequestHash(request), reserved, Claims.Unheld, CancellationToken.None);

        var result = await _bot.Service().ClaimAsync(request, CancellationToken.None);
        var again = await _bot.Service().ClaimAsync(request, CancellationToken.None);

        Assert.Equal(new ClaimResult(reserved, ClaimOutcome.Pending, null), result);
        Assert.Equal(result with { Replayed = true }, again);
        Assert.False(await _bot.Service().CancelCardAsync("chat:tenant:user:card-1", CancellationToken.None));
    }

    [Fact]
    public async Task ResolveAndWithdraw_AtOnce_EndInOneConsistentState()
    {
        var fabrikam = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var northwind = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Northwind);
        var conflictId = fabrikam.ConflictId!.Value;

        var resolve = _bot.Service().ResolveAsync(conflictId, Claims.Northwind, "op", CancellationToken.None);
        var withdraw = _bot.Service().WithdrawAsync(fabrikam.ClaimId, Claims.Fabrikam, CancellationToken.None);
        await Task.WhenAll(resolve, withdraw);

        Assert.True(await withdraw);
        var conflict = (await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None))!;
        Assert.Equal((ConflictStatus.Resolved, Claims.Northwind), (conflict.Status, conflict.WinnerPartnerId));
        Assert.Equal(ClaimStatus.Won, conflict.Claimants.Single(c => c.ClaimId == northwind.ClaimId).Status);
        // Whichever came first, Fabrikam's claim is settled once: withdrawn before the decision, or lost by it.
        Assert.Contains(conflict.Claimants.Single(c => c.ClaimId == fabrikam.ClaimId).Status, new[] { ClaimStatus.Withdrawn, ClaimStatus.Lost });
        Assert.Equal(conflict.Version, (await _bot.OutboxAsync()).Where(r => r.Kind == "Update").Max(r => r.Revision));
    }
}
