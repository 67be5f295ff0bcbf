using System.Text.Json;
using PorBot.Guidance;
using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Conflicts;

/// <summary>A conflict card click that passed the gate: the conflict as it is now, and whose view the answer is.</summary>
/// <param name="View">The clicker's own view: their partner (or null for an operator), the card's delivery key, their refresh user id.</param>
public sealed record ConflictClick(ConflictSnapshot Snapshot, AlertCardRequest View, CardActionRequest Action)
{
    public ConflictState Conflict => Snapshot.Conflict;

    public ConflictCardModel Model => Snapshot.Model(View);

    public AdaptiveCard Card(CardNotice? notice = null) => AlertCards.Conflict(Model, notice);
}

/// <summary>
/// The first step of every conflict card action. The card's data names only the conflict (and the delivered
/// message); who clicked comes from the invoke's sender (tenant + Entra object id), never from the data. The
/// conflict is read again and the clicker's partner must be a party to it; operators may look. Everyone else
/// (a forwarded card, a made-up id) gets the same refusal card, which shows nothing of any conflict.
/// </summary>
public sealed partial class ConflictActionGate(LookupAccessPolicy access, AlertCardComposer cards, ILogger<ConflictActionGate> logger)
{
    /// <returns>The click, or the answer to give instead (HTTP 400 for unreadable data, else a refusal card).</returns>
    public async Task<(ConflictClick? Click, InvokeResponse? Answer)> CheckAsync(TurnContext turn, CardActionRequest action, CancellationToken cancellationToken)
    {
        if (!TryReadData(action.Data, out var data)) return (null, InvokeResponse.BadRequest("This card action has no valid conflictId in its data."));

        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        var snapshot = await cards.LoadAsync(data.ConflictId, cancellationToken);
        string? viewer;
        if (snapshot is not null && caller.Partner is { } partner && snapshot.Conflict.Involves(partner.PartnerId)) viewer = partner.PartnerId;
        else if (snapshot is not null && caller.Role == CallerRole.Operator) viewer = null;
        else
        {
            LogRefused(action.Verb, data.ConflictId, turn.TenantId, caller.Partner?.PartnerId);
            return (null, InvokeResponse.ReplaceCard(AlertCards.Refusal()));
        }

        // As the outbox worker does: a personal chat's user is refreshed automatically; a channel refreshes on request.
        var refreshUsers = turn.IsPersonal && turn.Activity.From?.Id is { } userId && userId.StartsWith("29:", StringComparison.Ordinal) ? [userId] : Array.Empty<string>();
        var view = new AlertCardRequest(snapshot.Conflict.ConflictId, viewer, data.DeliveryKey, refreshUsers);
        return (new ConflictClick(snapshot, view, action), null);
    }

    private static bool TryReadData(JsonElement? json, out ConflictActionData data)
    {
        data = new ConflictActionData(Guid.Empty, Guid.Empty);
        if (json is not { ValueKind: JsonValueKind.Object } value) return false;
        if (!value.TryGetProperty("conflictId", out var conflict) || conflict.ValueKind != JsonValueKind.String || !Guid.TryParse(conflict.GetString(), out var conflictId))
            return false;
        var deliveryKey = value.TryGetProperty("deliveryKey", out var key) && key.ValueKind == JsonValueKind.String && Guid.TryParse(key.GetString(), out var k) ? k : Guid.Empty;
        data = new ConflictActionData(conflictId, deliveryKey);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conflict card action {Verb} on {ConflictId} refused: tenant {TenantId} (partner {PartnerId}) is no party to it")]
    private partial void LogRefused(string verb, Guid conflictId, string? tenantId, string? partnerId);
}

/// <summary>The gate, then the verb's own work. A click on a conflict resolved meanwhile gets the resolved card.</summary>
public abstract class ConflictActionHandler(ConflictActionGate gate) : ICardActionHandler
{
    public const string AlreadyResolved = "This conflict is already resolved, so that button no longer does anything.";

    /// <summary>Refresh answers with whatever the conflict is now; every other verb acts only on an open conflict.</summary>
    protected virtual bool ActsOnResolvedConflicts => false;

    public async Task<InvokeResponse> HandleAsync(TurnContext turn, CardActionRequest action, CancellationToken cancellationToken)
    {
        var (click, answer) = await gate.CheckAsync(turn, action, cancellationToken);
        if (click is null) return answer!;
        if (click.Conflict.Status != ConflictStatus.Open && !ActsOnResolvedConflicts)
            return InvokeResponse.ReplaceCard(click.Card(new CardNotice(AlreadyResolved, IsProblem: true)));
        return await HandleAsync(turn, click, cancellationToken);
    }

    protected abstract Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken);
}

/// <summary><c>porConflict.refresh</c>: the card as the clicker's own partner sees it now (also Teams' automatic refresh, and Cancel/Back).</summary>
public sealed class RefreshConflictCardHandler(ConflictActionGate gate) : ConflictActionHandler(gate)
{
    protected override bool ActsOnResolvedConflicts => true;

    protected override Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken) =>
        Task.FromResult(InvokeResponse.ReplaceCard(click.Card()));
}

/// <summary><c>porConflict.proofForm</c>: the short proof form, for the current POR and active claimants.</summary>
public sealed class ConflictProofFormHandler(ConflictActionGate gate) : ConflictActionHandler(gate)
{
    public const string PartiesOnly = "Only the current Partner of Record and active claimants can add proof of execution.";

    protected override Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken) =>
        Task.FromResult(InvokeResponse.ReplaceCard(click.Conflict.IsActiveParty(click.View.ViewerPartnerId)
            ? AlertCards.ProofForm(click.Model, [])
            : click.Card(new CardNotice(PartiesOnly, IsProblem: true))));
}

/// <summary><c>porConflict.proof</c>: checks the form and stores the proof; every party's card is then updated through the outbox.</summary>
public sealed class AddConflictProofHandler(ConflictActionGate gate, ClaimService claims, AlertCardComposer cards) : ConflictActionHandler(gate)
{
    public const string Added = "Proof added. Every party's card now shows it.";

    protected override async Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken)
    {
        if (!click.Conflict.IsActiveParty(click.View.ViewerPartnerId))
            return InvokeResponse.ReplaceCard(click.Card(new CardNotice(ConflictProofFormHandler.PartiesOnly, IsProblem: true)));

        var work = ReadInput(click.Action.Data, AlertCards.ProofWorkInput);
        var link = ReadInput(click.Action.Data, AlertCards.ProofLinkInput);
        var problems = ClaimService.ProofProblems(work, link);
        if (problems.Count > 0) return InvokeResponse.ReplaceCard(AlertCards.ProofForm(click.Model, problems, work, link));

        CardNotice notice;
        try
        {
            await claims.AddProofAsync(new ProofRequest(click.Conflict.ConflictId, click.View.ViewerPartnerId!, work!, link, turn.UserAadObjectId ?? ""), cancellationToken);
            notice = new CardNotice(Added);
        }
        catch (ConflictAlreadyResolvedException)
        {
            notice = new CardNotice("The conflict was resolved before your proof arrived, so it was not added.", IsProblem: true);
        }
        catch (ClaimValidationException e)
        {
            // The claim was withdrawn or settled between the click and now.
            notice = new CardNotice(string.Join(" ", e.Problems), IsProblem: true);
        }

        cards.Forget(click.Conflict.ConflictId);
        var card = await cards.ComposeCardAsync(click.View, notice, cancellationToken);
        return InvokeResponse.ReplaceCard(card ?? AlertCards.Refusal());
    }

    private static string? ReadInput(JsonElement? data, string name) =>
        data is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty(name, out var input) && input.ValueKind == JsonValueKind.String ? input.GetString() : null;
}

/// <summary><c>porConflict.withdraw</c>: the clicker's partner takes back its own active claim; anyone else is refused.</summary>
public sealed class WithdrawConflictClaimHandler(ConflictActionGate gate, ClaimService claims, AlertCardComposer cards) : ConflictActionHandler(gate)
{
    public const string ClaimantsOnly = "Only a claimant can withdraw its claim; the current Partner of Record has no claim to withdraw.";
    public const string Withdrawn = "Your claim is withdrawn. Every party's card shows it.";

    protected override async Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken)
    {
        var viewer = click.View.ViewerPartnerId;
        if (click.Conflict.ActiveClaimOf(viewer) is not { } claim)
        {
            var refusal = viewer is not null && viewer != click.Conflict.CurrentPorPartnerId ? "Your organisation's claim is already withdrawn or settled." : ClaimantsOnly;
            return InvokeResponse.ReplaceCard(click.Card(new CardNotice(refusal, IsProblem: true)));
        }

        await claims.WithdrawAsync(claim.ClaimId, viewer!, cancellationToken);
        cards.Forget(click.Conflict.ConflictId);
        var card = await cards.ComposeCardAsync(click.View, new CardNotice(Withdrawn), cancellationToken);
        return InvokeResponse.ReplaceCard(card ?? AlertCards.Refusal());
    }
}

/// <summary><c>porConflict.steps</c>: the guidance scenario for the subscription's product and program, or an honest "none" with what the guidance does have.</summary>
public sealed class ConflictStepsHandler(ConflictActionGate gate, KnowledgeBase knowledge, GuidanceCards guidance) : ConflictActionHandler(gate)
{
    protected override Task<InvokeResponse> HandleAsync(TurnContext turn, ConflictClick click, CancellationToken cancellationToken)
    {
        var subscription = click.Snapshot.Subscription;
        if (subscription is not null && ConflictScenarios.Find(knowledge, subscription) is { } scenario)
            return Task.FromResult(InvokeResponse.ReplaceCard(AlertCards.WithBackToConflict(guidance.Scenario(scenario), click.Model)));

        var product = subscription is null ? null : ConflictScenarios.KnowledgeProduct(knowledge, subscription.Product);
        var alternatives = new List<CardAction>();
        if (product is not null)
        {
            alternatives.AddRange(knowledge.Scenarios.Where(s => s.Products.Contains(product))
                .Select(s => new SubmitAction(s.Title, new GuidanceSubmit { PorTopic = s.Id })));
        }

        alternatives.Add(new SubmitAction("Start the POR guide", new GuidanceSubmit { PorGuide = new GuideClick(null, 0, GuideClick.StartNew) }));
        var card = AlertCards.NoScenario(click.Model,
            subscription is null ? null : LookupCards.ProductName(subscription.Product),
            subscription is null ? null : LookupCards.ProgramName(subscription.Program),
            alternatives);
        return Task.FromResult(InvokeResponse.ReplaceCard(card));
    }
}

/// <summary>Registry products and programs in the knowledge base's terms, matched by the knowledge base's own aliases.</summary>
public static class ConflictScenarios
{
    public static Scenario? Find(KnowledgeBase knowledge, SubscriptionRecord subscription)
    {
        ArgumentNullException.ThrowIfNull(knowledge);
        ArgumentNullException.ThrowIfNull(subscription);
        return KnowledgeProduct(knowledge, subscription.Product) is { } product && KnowledgeProgram(knowledge, subscription.Program) is { } program
            ? knowledge.FindScenario(product, program)
            : null;
    }

    public static string? KnowledgeProduct(KnowledgeBase knowledge, Product product) =>
        ByAlias(knowledge.Products, LookupCards.ProductName(product));

    public static string? KnowledgeProgram(KnowledgeBase knowledge, PurchaseProgram program) =>
        ByAlias(knowledge.Programs, LookupCards.ProgramShortName(program));

    private static string? ByAlias(IReadOnlyList<Offering> offerings, string name)
    {
        var alias = name.ToLowerInvariant();
        return offerings.FirstOrDefault(o => o.Aliases.Contains(alias, StringComparer.Ordinal))?.Id;
    }
}
