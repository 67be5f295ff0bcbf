using System.Net;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary><c>claim</c> and <c>resolve</c> in chat, through the real bot.</summary>
public sealed class ClaimChatTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Claim_OnAnotherPartnersSubscription_ShowsWhatWasUnderstoodAndRecordsNothingYet()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));

        Assert.Equal("Adventure Works", card.Fact("Customer"));
        Assert.Equal(Sample.AdventureWorksAzure, card.Fact("Subscription"));
        Assert.Equal("Another partner is listed", card.Fact("Current POR"));
        Assert.Equal("Fabrikam Consulting (5523456)", card.Fact("Claimant"));
        Assert.DoesNotContain("Contoso", card.Json, StringComparison.Ordinal);
        Assert.Equal([ClaimCards.ConfirmTitle, ClaimCards.CancelTitle], Submits(card).Select(s => s.Title));
        Assert.Equal(0, await _bot.CountAsync("claims"));
        await CardValidator.AssertValidAsync(card.Json);
    }

    [Fact]
    public async Task Claim_Confirm_RecordsTheClaimOnceAndSaysTheOutcome()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));
        var confirm = Submits(card).Single(s => s.Title == ClaimCards.ConfirmTitle).Data;

        var reply = await ClickAsync(confirm, Sample.FabrikamTenant);
        var again = await ClickAsync(confirm, Sample.FabrikamTenant);

        Assert.StartsWith("Claim recorded. Another partner is listed, so this is now a conflict", reply.Text, StringComparison.Ordinal);
        Assert.Contains("(You had already made this claim.)", again.Text, StringComparison.Ordinal);
        Assert.Equal(1, await _bot.CountAsync("claims"));
        Assert.Equal(1, await _bot.CountAsync("conflicts"));
        // The claimant's own chat was recorded as a conversation reference, so its alert has a target.
        Assert.Contains(await _bot.OutboxAsync(), r => r.Party == Claims.Fabrikam && r.Status == "Pending" && r.Conversation == "a:personal-chat-1");
    }

    [Fact]
    public async Task Claim_Cancel_RecordsNothing()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));

        var reply = await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.CancelTitle).Data, Sample.FabrikamTenant);

        Assert.Equal("Cancelled: no claim was recorded.", reply.Text);
        Assert.Equal(0, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task Claim_ConfirmAfterCancelOnTheSameCard_RecordsNothing()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));
        await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.CancelTitle).Data, Sample.FabrikamTenant);

        var reply = await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.ConfirmTitle).Data, Sample.FabrikamTenant);

        Assert.Contains("This claim card was cancelled", reply.Text, StringComparison.Ordinal);
        Assert.Equal(0, await _bot.CountAsync("claims"));
        Assert.Equal(0, await _bot.CountAsync("alert_outbox"));
    }

    [Fact]
    public async Task Claim_CancelAfterConfirm_SaysTheClaimStandsInsteadOfClaimingNothingWasRecorded()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));
        await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.ConfirmTitle).Data, Sample.FabrikamTenant);

        var reply = await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.CancelTitle).Data, Sample.FabrikamTenant);

        Assert.Equal(ClaimTexts.AlreadyRecorded, reply.Text);
        Assert.Equal(1, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task Claim_ConfirmClickedByAnotherTenant_ClaimsForTheClickerNotTheCardsAsker()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));
        var confirm = Submits(card).Single(s => s.Title == ClaimCards.ConfirmTitle).Data;

        var unmapped = await ClickAsync(confirm, Sample.UnmappedTenant);
        var northwind = await ClickAsync(confirm, Sample.NorthwindTenant, user: "33333333-3333-4333-8333-333333333333");

        Assert.StartsWith("Claims can only be made by people whose organisation", unmapped.Text, StringComparison.Ordinal);
        Assert.StartsWith("Claim recorded.", northwind.Text, StringComparison.Ordinal);
        var conflict = await _bot.Service().GetConflictAsync(await SingleConflictAsync(), CancellationToken.None);
        Assert.Equal([Claims.Northwind], conflict!.Claimants.Select(c => c.PartnerId));
    }

    [Fact]
    public async Task Claim_FromUnmappedTenant_IsRefusedWithoutRegistryData()
    {
        var reply = await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.UnmappedTenant);

        Assert.StartsWith("Claims can only be made by people whose organisation", reply.Text, StringComparison.Ordinal);
        Assert.Null(reply.Attachments);
    }

    [Theory]
    [InlineData("claim", "Tell me the subscription id after \"claim\"")]
    [InlineData("claim adventure works", "That isn't a subscription id.")]
    [InlineData("claim 00000000-1111-4222-8333-444444444444", "Subscription 00000000-1111-4222-8333-444444444444 isn't in PorBot's registry")]
    public async Task Claim_WithoutAKnownSubscriptionId_SaysWhatIsWrong(string text, string expected)
    {
        var reply = await _bot.AskAsync(text, Sample.FabrikamTenant);

        Assert.StartsWith(expected, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claim_ByThePor_CardSaysYouAndConfirmIsANoOp()
    {
        var card = CardView.Of(await _bot.AskAsync($"claim {Sample.AdventureWorksAzure}", Sample.ContosoTenant));
        Assert.Equal("You", card.Fact("Current POR"));

        var reply = await ClickAsync(Submits(card).Single(s => s.Title == ClaimCards.ConfirmTitle).Data, Sample.ContosoTenant);

        Assert.StartsWith("You are already the Partner of Record", reply.Text, StringComparison.Ordinal);
        Assert.Equal(0, await _bot.CountAsync("conflicts"));
    }

    [Fact]
    public async Task Lookup_AfterClaiming_ClaimantSeesThePorInFull()
    {
        var before = CardView.Of(await _bot.AskAsync($"lookup {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));
        Assert.Equal("Another partner is listed", Assert.Single(before.Containers).Fact("Partner of Record"));

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var after = CardView.Of(await _bot.AskAsync($"lookup {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));

        Assert.Equal("Contoso Cloud Partners (4412345)", Assert.Single(after.Containers).Fact("Partner of Record"));
    }

    [Fact]
    public async Task Lookup_AfterWithdrawing_ClaimantNoLongerSeesThePor()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await _bot.Service().WithdrawAsync(claim.ClaimId, Claims.Fabrikam, CancellationToken.None);

        var card = CardView.Of(await _bot.AskAsync($"lookup {Sample.AdventureWorksAzure}", Sample.FabrikamTenant));

        Assert.Equal("Another partner is listed", Assert.Single(card.Containers).Fact("Partner of Record"));
    }

    [Fact]
    public async Task Resolve_ByOperator_RecordsTheDecision()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var reply = await _bot.AskAsync($"resolve {claim.ConflictId:D} {Claims.Fabrikam}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var repeat = await _bot.AskAsync($"resolve {claim.ConflictId:D} {Claims.Contoso}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);

        Assert.StartsWith($"Conflict {claim.ConflictId:D} resolved: partner 5523456 is Partner of Record", reply.Text, StringComparison.Ordinal);
        Assert.Contains("already resolved in favour of partner 5523456", repeat.Text, StringComparison.Ordinal);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.ContosoHeld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
    }

    [Fact]
    public async Task Resolve_ByAPartnerUser_IsRefused()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var reply = await _bot.AskAsync($"resolve {claim.ConflictId:D} {Claims.Fabrikam}", Sample.FabrikamTenant);

        Assert.Equal("Only PorBot operators can record a customer's decision on a conflict.", reply.Text);
        var conflict = await _bot.Service().GetConflictAsync(claim.ConflictId!.Value, CancellationToken.None);
        Assert.Equal(ConflictStatus.Open, conflict!.Status);
    }

    [Fact]
    public async Task Resolve_PendingClaimByOperator_ConfirmingTheClaimantMakesItPor()
    {
        var claim = await _bot.ClaimAsync(Claims.Unheld, Claims.Fabrikam);

        var reply = await _bot.AskAsync($"resolve {claim.ClaimId:D} {Claims.Fabrikam}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);

        Assert.Equal($"Claim {claim.ClaimId:D} confirmed: partner 5523456 (the claimant) is now Partner of Record for subscription {Claims.Unheld:D}.", reply.Text);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
    }

    [Fact]
    public async Task Resolve_PendingClaimByOperator_NamingAnotherPartnerLosesTheClaim_AndBadAnswersAreExplained()
    {
        var claim = await _bot.ClaimAsync(Claims.Unheld, Claims.Fabrikam);

        var unknown = await _bot.AskAsync($"resolve {claim.ClaimId:D} 9999999", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var reply = await _bot.AskAsync($"resolve {claim.ClaimId:D} {Claims.Northwind}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var again = await _bot.AskAsync($"resolve {claim.ClaimId:D} {Claims.Fabrikam}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var missing = await _bot.AskAsync($"resolve {Guid.Empty:D} {Claims.Fabrikam}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);

        Assert.Equal("winnerPartnerId 9999999 is not a partner in the POR registry.", unknown.Text);
        Assert.Equal($"Claim {claim.ClaimId:D} lost: the customer named partner 6634567, now recorded as Partner of Record for subscription {Claims.Unheld:D}.", reply.Text);
        Assert.StartsWith($"Claim {claim.ClaimId:D} was already resolved: the customer named partner 6634567", again.Text, StringComparison.Ordinal);
        Assert.EndsWith("Nothing changed.", again.Text, StringComparison.Ordinal);
        Assert.Equal($"There is no conflict or claim {Guid.Empty:D}.", missing.Text);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Equal(Claims.Northwind, subscription!.PorPartnerId);
    }

    private async Task<Guid> SingleConflictAsync() =>
        Assert.Single((await _bot.OutboxAsync()).Select(r => r.ConflictId).Distinct());

    private async Task<Activity> ClickAsync(JsonElement data, string tenantId, string user = TestActivities.UserAadObjectId)
    {
        _bot.Connector.Reset();
        var activity = TestActivities.Message(_bot.Connector.ServiceUrl, "", tenantId: tenantId, userAadObjectId: user);
        activity.Text = null;
        activity.Value = data;
        using var response = await _bot.PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var replies = await _bot.Connector.WaitForActivitiesAsync(1);
        return Assert.Single(replies).Activity!;
    }

    private static List<(string Title, JsonElement Data)> Submits(CardView card) =>
        card.Root.GetProperty("body").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "ActionSet")
            .SelectMany(e => e.GetProperty("actions").EnumerateArray())
            .Where(a => a.GetProperty("type").GetString() == "Action.Submit")
            .Select(a => (a.GetProperty("title").GetString()!, a.GetProperty("data").Clone()))
            .ToList();
}
