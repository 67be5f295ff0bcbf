using System.Net;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Guidance;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>
/// The alert card's Universal Actions, clicked as Teams posts them (adaptiveCard/action invokes to /api/messages),
/// with delivery driven one pass at a time so every connector call can be checked.
/// </summary>
public sealed class ConflictCardActionTests : IAsyncLifetime
{
    private const string ContosoUser = "11111111-1111-4111-8111-111111111111";
    private const string ContosoChat = "a:contoso-megan";
    private const string ContosoChannel = "19:contoso-alerts@thread.tacv2";
    private const string FabrikamUser = "22222222-2222-4222-8222-222222222222";
    private const string FabrikamChat = "a:fabrikam-lee";
    private const string NorthwindUser = "33333333-3333-4333-8333-333333333333";

    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task DeliveredCards_ArePerViewer_ClaimantCanWithdrawPorCannot_AndRefreshKeepsPersonalViewsCurrent()
    {
        var conflictId = await OpenDeliveredConflictAsync();

        var sends = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation).ToDictionary(r => r.ConversationId!);
        var contoso = ConflictCardClicks.CardOf(sends[ContosoChat]);
        var channel = ConflictCardClicks.CardOf(sends[ContosoChannel]);
        var fabrikam = ConflictCardClicks.CardOf(sends[FabrikamChat]);

        Assert.Equal([AlertCards.AddProofTitle, AlertCards.StepsTitle], ConflictCardClicks.Buttons(contoso).Select(b => b.Title));
        Assert.Equal([AlertCards.AddProofTitle, AlertCards.ConfirmWithdrawTitle, AlertCards.StepsTitle], ConflictCardClicks.Buttons(fabrikam).Select(b => b.Title));
        Assert.Contains("For Contoso Cloud Partners (current Partner of Record)", ConflictCardClicks.Text(contoso), StringComparison.Ordinal);
        Assert.Contains("For Fabrikam Consulting (claimant)", ConflictCardClicks.Text(fabrikam), StringComparison.Ordinal);

        Assert.Equal(["29:contoso-megan"], contoso.GetProperty("refresh").GetProperty("userIds").EnumerateArray().Select(u => u.GetString()));
        Assert.Empty(channel.GetProperty("refresh").GetProperty("userIds").EnumerateArray());
        var refresh = ConflictCardClicks.Refresh(fabrikam)!;
        Assert.Equal(ConflictVerbs.Refresh, refresh.Verb);
        // The data names the conflict and the delivered message, nothing about who may click.
        Assert.Equal(["conflictId", "deliveryKey"], refresh.Data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(conflictId, refresh.Data.GetProperty("conflictId").GetGuid());
        Assert.All(ConflictCardClicks.Buttons(fabrikam), b => Assert.Equal(refresh.Data.GetRawText(), b.Data.GetRawText()));
        await CardValidator.AssertValidAsync([("por-view", contoso.GetRawText()), ("claimant-view", fabrikam.GetRawText())]);
    }

    [Fact]
    public async Task Refresh_ReturnsTheCardForTheClickersOwnPartner_WhateverCardWasClicked()
    {
        await OpenDeliveredConflictAsync();
        var fabrikamCard = DeliveredCard(FabrikamChat);
        var refresh = ConflictCardClicks.Refresh(fabrikamCard)!;

        // A Contoso user refreshing a card that was Fabrikam's view gets Contoso's view.
        var (status, body) = await _bot.ClickAsync(refresh.Verb, refresh.Data, Sample.ContosoTenant, ContosoUser, ContosoChat, "29:contoso-megan", trigger: "automatic");
        var contosoView = ConflictCardClicks.ReplacementCard(status, body);
        var fabrikamView = await _bot.ClickForCardAsync(refresh, Sample.FabrikamTenant, FabrikamUser);

        Assert.Contains("(current Partner of Record)", ConflictCardClicks.Text(contosoView), StringComparison.Ordinal);
        Assert.DoesNotContain(ConflictCardClicks.Buttons(contosoView), b => b.Verb == ConflictVerbs.Withdraw);
        Assert.Equal(["29:contoso-megan"], contosoView.GetProperty("refresh").GetProperty("userIds").EnumerateArray().Select(u => u.GetString()));
        Assert.Contains("(claimant)", ConflictCardClicks.Text(fabrikamView), StringComparison.Ordinal);
        Assert.Contains(ConflictCardClicks.Buttons(fabrikamView), b => b.Verb == ConflictVerbs.Withdraw);
    }

    [Theory]
    [InlineData(ConflictVerbs.Refresh)]
    [InlineData(ConflictVerbs.ProofForm)]
    [InlineData(ConflictVerbs.Proof)]
    [InlineData(ConflictVerbs.Withdraw)]
    [InlineData(ConflictVerbs.Steps)]
    public async Task ThirdTenant_ClickingAForwardedCard_IsRefusedAndSeesNoConflictData(string verb)
    {
        var conflictId = await OpenDeliveredConflictAsync();
        var data = ConflictCardClicks.Refresh(DeliveredCard(FabrikamChat))!.Data;
        var inputs = new Dictionary<string, string> { [AlertCards.ProofWorkInput] = "Northwind pretends to do the work" };

        foreach (var tenant in new[] { Sample.NorthwindTenant, Sample.UnmappedTenant })
        {
            var (status, body) = await _bot.ClickAsync(verb, data, tenant, NorthwindUser, inputs: inputs);

            var card = ConflictCardClicks.ReplacementCard(status, body);
            Assert.Equal(AlertCards.RefusalText, Assert.Single(CardView.Of(card).Texts, t => t != "Not available to you"));
            var raw = body.GetRawText();
            foreach (var secret in new[] { conflictId.ToString("D"), Sample.AdventureWorksAzure, "Adventure Works", Claims.Contoso, Claims.Fabrikam, "Contoso", "Fabrikam" })
            {
                Assert.DoesNotContain(secret, raw, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.Equal(0, await _bot.CountAsync("conflict_proofs"));
        var conflict = await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None);
        Assert.Equal((ConflictStatus.Open, 1), (conflict!.Status, conflict.Version));
    }

    [Fact]
    public async Task UnknownConflictId_GetsTheSameRefusal()
    {
        var (status, body) = await _bot.ClickAsync(ConflictVerbs.Refresh, new { conflictId = Guid.NewGuid(), deliveryKey = Guid.NewGuid() }, Sample.ContosoTenant);

        Assert.Contains(AlertCards.RefusalText, ConflictCardClicks.Text(ConflictCardClicks.ReplacementCard(status, body)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_SeesTheReadOnlyView_AndCannotAct()
    {
        await OpenDeliveredConflictAsync();
        var refresh = ConflictCardClicks.Refresh(DeliveredCard(FabrikamChat))!;

        var view = await _bot.ClickForCardAsync(refresh, Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var proofForm = await _bot.ClickForCardAsync(refresh with { Verb = ConflictVerbs.ProofForm }, Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        var withdraw = await _bot.ClickForCardAsync(refresh with { Verb = ConflictVerbs.Withdraw }, Sample.UnmappedTenant, Sample.OperatorAadObjectId);

        Assert.Contains("Operator view (read-only)", ConflictCardClicks.Text(view), StringComparison.Ordinal);
        Assert.Equal([AlertCards.StepsTitle], ConflictCardClicks.Buttons(view).Select(b => b.Title));
        Assert.Contains(ConflictProofFormHandler.PartiesOnly, ConflictCardClicks.Text(proofForm), StringComparison.Ordinal);
        Assert.Contains(WithdrawConflictClaimHandler.ClaimantsOnly, ConflictCardClicks.Text(withdraw), StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Active, (await _bot.Service().GetConflictAsync(refresh.Data.GetProperty("conflictId").GetGuid(), CancellationToken.None))!.Claimants[0].Status);
    }

    [Fact]
    public async Task ProofForm_InvalidInput_ShowsClearErrorsKeepsWhatWasTypedAndStoresNothing()
    {
        await OpenDeliveredConflictAsync();
        var addProof = ConflictCardClicks.Button(DeliveredCard(FabrikamChat), AlertCards.AddProofTitle);

        var form = await _bot.ClickForCardAsync(addProof, Sample.FabrikamTenant, FabrikamUser);
        var submit = ConflictCardClicks.Button(form, "Add proof");
        var empty = await _bot.ClickForCardAsync(submit, Sample.FabrikamTenant, FabrikamUser,
            new Dictionary<string, string> { [AlertCards.ProofWorkInput] = "   ", [AlertCards.ProofLinkInput] = "http://not-secure.example" });
        var tooLong = await _bot.ClickForCardAsync(submit, Sample.FabrikamTenant, FabrikamUser,
            new Dictionary<string, string> { [AlertCards.ProofWorkInput] = new string('x', 1001) });

        Assert.Equal(ConflictVerbs.Proof, submit.Verb);
        Assert.Contains("Add proof of execution", ConflictCardClicks.Text(form), StringComparison.Ordinal);
        var emptyText = ConflictCardClicks.Text(empty);
        Assert.Contains("Describe the work you are doing for the customer.", emptyText, StringComparison.Ordinal);
        Assert.Contains("The link must be one https:// address", emptyText, StringComparison.Ordinal);
        Assert.Contains("http://not-secure.example", empty.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("Keep the description to 1000 characters (it has 1001).", ConflictCardClicks.Text(tooLong), StringComparison.Ordinal);
        Assert.Equal(0, await _bot.CountAsync("conflict_proofs"));
        Assert.DoesNotContain(await _bot.OutboxAsync(), r => r.Kind == "Update");
        await CardValidator.AssertValidAsync([("proof-form", form.GetRawText()), ("proof-form-errors", empty.GetRawText())]);
    }

    [Fact]
    public async Task Proof_QueuesAnUpdateForEveryParty_AndTheNextPassPutsEveryDeliveredCardInPlace()
    {
        var conflictId = await OpenDeliveredConflictAsync();
        var delivered = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation).ToList();
        var submit = ConflictCardClicks.Button(await _bot.ClickForCardAsync(ConflictCardClicks.Button(DeliveredCard(FabrikamChat), AlertCards.AddProofTitle),
            Sample.FabrikamTenant, FabrikamUser), "Add proof");
        const string work = "Migrating 40 mailboxes since March; weekly calls with [their IT](https://evil.example).";

        var answer = await _bot.ClickForCardAsync(submit, Sample.FabrikamTenant, FabrikamUser,
            new Dictionary<string, string> { [AlertCards.ProofWorkInput] = work, [AlertCards.ProofLinkInput] = "https://fabrikam.example/status/adventure-works" });

        var answerText = ConflictCardClicks.Text(answer);
        Assert.Contains(AddConflictProofHandler.Added, answerText, StringComparison.Ordinal);
        Assert.Contains("Proof added by **Fabrikam Consulting** on", answerText, StringComparison.Ordinal);
        Assert.Contains(work, answerText, StringComparison.Ordinal);
        var updates = (await _bot.OutboxAsync()).Where(r => r.Kind == "Update").ToList();
        Assert.Equal([ContosoChannel, ContosoChat, FabrikamChat], updates.Select(u => u.Conversation!).Order(StringComparer.Ordinal));
        Assert.All(updates, u => Assert.Equal((2, "Pending"), (u.Revision, u.Status)));
        Assert.Equal(2, (await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None))!.Version);

        _bot.Connector.Reset();
        await RunDeliveryPassAsync();

        var puts = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.UpdateActivity).ToList();
        Assert.Equal(3, puts.Count);
        Assert.DoesNotContain(_bot.Connector.Requests, r => r.Operation == ConnectorOperation.SendToConversation);
        foreach (var send in delivered)
        {
            var put = Assert.Single(puts, p => p.ConversationId == send.ConversationId);
            Assert.Equal(send.ResponseId, put.ActivityId);
            var text = ConflictCardClicks.Text(ConflictCardClicks.CardOf(put));
            Assert.Contains("Proof added by **Fabrikam Consulting** on", text, StringComparison.Ordinal);
            // The proof's own words go to Fabrikam only; Contoso sees that proof exists.
            Assert.Equal(send.ConversationId == FabrikamChat, text.Contains("Migrating 40 mailboxes", StringComparison.Ordinal));
        }

        Assert.All(await _bot.OutboxAsync(), r => Assert.Equal("Delivered", r.Status));
        await CardValidator.AssertValidAsync(puts.Select(p => (p.ConversationId!, ConflictCardClicks.CardOf(p).GetRawText())).ToList());
    }

    [Fact]
    public async Task Proof_ClickedTwice_IsStoredOnce()
    {
        await OpenDeliveredConflictAsync();
        var submit = ConflictCardClicks.Refresh(DeliveredCard(ContosoChat))! with { Verb = ConflictVerbs.Proof };
        var inputs = new Dictionary<string, string> { [AlertCards.ProofWorkInput] = "Running their Azure landing zone since 2025." };

        await _bot.ClickForCardAsync(submit, Sample.ContosoTenant, ContosoUser, inputs);
        var second = await _bot.ClickForCardAsync(submit, Sample.ContosoTenant, ContosoUser, inputs);

        Assert.Equal(1, await _bot.CountAsync("conflict_proofs"));
        Assert.Contains("1 proof added.", ConflictCardClicks.Text(second), StringComparison.Ordinal);
        Assert.Equal(3, (await _bot.OutboxAsync()).Count(r => r.Kind == "Update"));
    }

    [Fact]
    public async Task Withdraw_ByThePorSide_IsRefusedAndChangesNothing()
    {
        var conflictId = await OpenDeliveredConflictAsync();
        // The POR's card has no Withdraw button; a crafted click (or a claimant's card forwarded to the POR) is refused.
        var withdraw = ConflictCardClicks.Button(DeliveredCard(FabrikamChat), AlertCards.ConfirmWithdrawTitle);

        var card = await _bot.ClickForCardAsync(withdraw, Sample.ContosoTenant, ContosoUser);

        Assert.Contains(WithdrawConflictClaimHandler.ClaimantsOnly, ConflictCardClicks.Text(card), StringComparison.Ordinal);
        Assert.Contains("POR conflict: the customer will decide", ConflictCardClicks.Text(card), StringComparison.Ordinal);
        var conflict = await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None);
        Assert.Equal((ConflictStatus.Open, ClaimStatus.Active, 1), (conflict!.Status, conflict.Claimants[0].Status, conflict.Version));
        Assert.DoesNotContain(await _bot.OutboxAsync(), r => r.Kind == "Update");
    }

    [Fact]
    public async Task Withdraw_ByTheClaimant_ClosesTheConflictAndEveryCardIsUpdatedWithoutActions()
    {
        var conflictId = await OpenDeliveredConflictAsync();
        var withdraw = ConflictCardClicks.Button(DeliveredCard(FabrikamChat), AlertCards.ConfirmWithdrawTitle);

        var card = await _bot.ClickForCardAsync(withdraw, Sample.FabrikamTenant, FabrikamUser);

        Assert.Contains(WithdrawConflictClaimHandler.Withdrawn, ConflictCardClicks.Text(card), StringComparison.Ordinal);
        Assert.Contains("POR conflict closed: claim withdrawn", ConflictCardClicks.Text(card), StringComparison.Ordinal);
        Assert.Empty(ConflictCardClicks.Buttons(card));
        Assert.False(card.TryGetProperty("refresh", out _));
        var conflict = await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None);
        Assert.Equal((ConflictStatus.Resolved, ClaimStatus.Withdrawn), (conflict!.Status, conflict.Claimants[0].Status));

        _bot.Connector.Reset();
        await RunDeliveryPassAsync();
        var puts = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.UpdateActivity).ToList();
        Assert.Equal(3, puts.Count);
        Assert.All(puts, p => Assert.Empty(ConflictCardClicks.Buttons(ConflictCardClicks.CardOf(p))));
    }

    [Fact]
    public async Task Steps_AnswerWithTheScenarioForTheSubscriptionsProductAndProgram()
    {
        await OpenDeliveredConflictAsync();
        var steps = ConflictCardClicks.Button(DeliveredCard(ContosoChat), AlertCards.StepsTitle);

        var card = await _bot.ClickForCardAsync(steps, Sample.ContosoTenant, ContosoUser);

        var text = ConflictCardClicks.Text(card);
        Assert.Contains("Steps for Adventure Works · Azure · Enterprise Agreement (EA)", text, StringComparison.Ordinal);
        Assert.Contains(_bot.GetRequiredService<KnowledgeBase>().Get("scenario-azure-consumption").Title, text, StringComparison.Ordinal);
        Assert.Equal(ConflictVerbs.Refresh, ConflictCardClicks.Button(card, AlertCards.BackTitle).Verb);
        await ConflictCardClicks.ValidAsync(card, "steps");
    }

    [Fact]
    public async Task Steps_ForAProductAndProgramWithoutScenario_SaySoAndOfferWhatTheGuidanceHas()
    {
        // Wingtip Toys: Azure bought through CSP, Northwind is POR; the 2015 guidance has no CSP scenario.
        var claim = await _bot.ClaimAsync(Guid.Parse("4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c17"), Claims.Fabrikam);

        var card = await _bot.ClickForCardAsync(new CardButton(null, ConflictVerbs.Steps, ProtocolData(claim.ConflictId!.Value)), Sample.FabrikamTenant, FabrikamUser);

        var view = CardView.Of(card);
        Assert.Contains("No scenario for this product and program", view.AllText, StringComparison.Ordinal);
        Assert.Contains("no scenario for **Azure** bought through **Cloud Solution Provider (CSP)**", view.AllText, StringComparison.Ordinal);
        Assert.Contains("Start the POR guide", view.AllText, StringComparison.Ordinal);
        Assert.Contains("scenario-azure-consumption", card.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(ConflictVerbs.Refresh, ConflictCardClicks.Button(card, AlertCards.BackTitle).Verb);
        await ConflictCardClicks.ValidAsync(card, "no-scenario");
    }

    [Fact]
    public async Task StaleCard_OfAResolvedConflict_AnyVerbAnswersWithTheResolvedCard()
    {
        var conflictId = await OpenDeliveredConflictAsync();
        var stale = DeliveredCard(FabrikamChat);
        await _bot.Service().ResolveAsync(conflictId, Claims.Fabrikam, "operator:test", CancellationToken.None);

        foreach (var button in ConflictCardClicks.Buttons(stale).Append(ConflictCardClicks.Refresh(stale)!))
        {
            var card = await _bot.ClickForCardAsync(button, Sample.FabrikamTenant, FabrikamUser,
                new Dictionary<string, string> { [AlertCards.ProofWorkInput] = "Too late" });

            var text = ConflictCardClicks.Text(card);
            Assert.Contains("POR conflict resolved", text, StringComparison.Ordinal);
            Assert.Contains("Partner of Record: Fabrikam Consulting (5523456).", text, StringComparison.Ordinal);
            Assert.Equal(button.Verb != ConflictVerbs.Refresh, text.Contains(ConflictActionHandler.AlreadyResolved, StringComparison.Ordinal));
            Assert.Empty(ConflictCardClicks.Buttons(card));
            Assert.False(card.TryGetProperty("refresh", out _));
        }

        Assert.Equal(0, await _bot.CountAsync("conflict_proofs"));
        Assert.Equal(ClaimStatus.Won, (await _bot.Service().GetConflictAsync(conflictId, CancellationToken.None))!.Claimants[0].Status);
    }

    [Theory]
    [InlineData("""{"trigger":"manual"}""")]
    [InlineData("""{"action":{"type":"Action.Submit","verb":"porConflict.refresh","data":{}}}""")]
    [InlineData("""{"action":{"type":"Action.Execute","verb":"porConflict.refresh","data":{"conflictId":"not-a-guid"}}}""")]
    [InlineData("""{"action":{"type":"Action.Execute","verb":"porConflict.refresh"}}""")]
    [InlineData("""{"action":{"type":"Action.Execute","verb":"porConflict.nonsense","data":{}}}""")]
    public async Task MalformedAdaptiveCardAction_Is400WithAnErrorBody(string value)
    {
        var (status, body) = await _bot.InvokeAsync("adaptiveCard/action", JsonDocument.Parse(value).RootElement);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, body.GetProperty("statusCode").GetInt32());
        Assert.Equal("application/vnd.microsoft.error", body.GetProperty("type").GetString());
    }

    /// <summary>Fabrikam claims Adventure Works' Azure (Contoso is POR); the alerts reach two Contoso places and one Fabrikam chat.</summary>
    private async Task<Guid> OpenDeliveredConflictAsync()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChat, ContosoUser, "29:contoso-megan");
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);
        await _bot.AddConversationAsync(Sample.FabrikamTenant, FabrikamChat, FabrikamUser, "29:fabrikam-lee");
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await RunDeliveryPassAsync();
        Assert.All(await _bot.OutboxAsync(), r => Assert.Equal("Delivered", r.Status));
        return claim.ConflictId!.Value;
    }

    private Task RunDeliveryPassAsync() => _bot.GetRequiredService<AlertDeliveryWorker>().RunPassAsync(CancellationToken.None);

    private JsonElement DeliveredCard(string conversationId) =>
        ConflictCardClicks.CardOf(_bot.Connector.Requests.Last(r => r.ConversationId == conversationId && r.Body?.TryGetProperty("attachments", out _) == true));

    private static JsonElement ProtocolData(Guid conflictId) => JsonSerializer.SerializeToElement(new { conflictId, deliveryKey = Guid.Empty });
}
