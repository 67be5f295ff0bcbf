using System.Globalization;
using PorBot.Lookups;
using PorBot.Protocol.Cards;

namespace PorBot.Conflicts;

/// <summary>The Action.Execute verbs of the conflict card. Namespaced, so no other feature's verbs collide.</summary>
public static class ConflictVerbs
{
    public const string Refresh = "porConflict.refresh";
    public const string ProofForm = "porConflict.proofForm";
    public const string Proof = "porConflict.proof";
    public const string Withdraw = "porConflict.withdraw";
    public const string Steps = "porConflict.steps";
}

/// <summary>
/// The data of every conflict card action: which conflict, and which delivered message. Nothing else is
/// put in a card, and nothing in it says who clicked: that comes from the invoke's sender.
/// </summary>
public sealed record ConflictActionData(Guid ConflictId, Guid DeliveryKey);

/// <summary>A line at the top of a card answering a click: what just happened, or why nothing did.</summary>
public sealed record CardNotice(string Text, bool IsProblem = false);

/// <summary>Everything one viewer's conflict card shows.</summary>
/// <param name="PartnerNames">Registry names by partner id; a missing name shows the id alone.</param>
/// <param name="ViewerPartnerId">The party whose view this is (its actions depend on it); null for an operator's read-only view.</param>
public sealed record ConflictCardModel(
    ConflictState Conflict,
    SubscriptionRecord? Subscription,
    IReadOnlyDictionary<string, string> PartnerNames,
    IReadOnlyList<ConflictProof> Proofs,
    string? ViewerPartnerId,
    Guid DeliveryKey,
    IReadOnlyList<string> RefreshUserIds)
{
    public ConflictActionData ActionData => new(Conflict.ConflictId, DeliveryKey);

    public string PartnerName(string id) => PartnerNames.TryGetValue(id, out var name) ? name : id;
}

/// <summary>
/// The conflict alert every party gets, rebuilt from the current state each time it is sent, updated or
/// clicked, and the cards its actions answer with (proof form, refusal, steps).
/// </summary>
public static class AlertCards
{
    public const string NextSteps = "The customer will be asked to clarify who their Partner of Record is; proof of execution may be requested.";
    public const string AddProofTitle = "We're doing the work — add proof";
    public const string WithdrawTitle = "Withdraw claim";
    public const string ConfirmWithdrawTitle = "Yes, withdraw my claim";
    public const string StepsTitle = "Show the steps";
    public const string BackTitle = "Back to the conflict";
    public const string ProofWorkInput = "proofWork";
    public const string ProofLinkInput = "proofLink";

    /// <summary>Proofs listed one by one; older ones are only counted, so the card stays small.</summary>
    public const int ProofsShown = 5;

    public const string RefusalText = "This card is about a Partner of Record conflict that doesn't involve your organisation, " +
                                      "so I can't show it to you or act on it. If your organisation should be part of it, ask a PorBot operator.";

    public static AdaptiveCard Conflict(ConflictCardModel model, CardNotice? notice = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var conflict = model.Conflict;
        var open = conflict.Status == ConflictStatus.Open;
        var card = new AdaptiveCard().AddText(ViewerLine(model), TextSize.Small, isSubtle: true);
        AddNotice(card, notice);
        card.AddHeading(open ? "POR conflict: the customer will decide" : conflict.WasWithdrawn() ? "POR conflict closed: claim withdrawn" : "POR conflict resolved")
            .AddFacts(Facts(model));
        if (open) card.AddText(NextSteps);
        else card.AddText(Outcome(model), weight: TextWeight.Bolder);

        AddProofs(card, model);

        if (open)
        {
            var actions = new List<CardAction>();
            if (conflict.IsActiveParty(model.ViewerPartnerId)) actions.Add(new ExecuteAction(AddProofTitle, ConflictVerbs.ProofForm, model.ActionData));
            if (conflict.ActiveClaimOf(model.ViewerPartnerId) is not null) actions.Add(WithdrawButton(model));
            actions.Add(new ExecuteAction(StepsTitle, ConflictVerbs.Steps, model.ActionData));
            card.AddActionSet(actions);
            // Resolved cards no longer change per viewer or over time: no refresh, so Teams doesn't keep asking.
            card.WithRefresh(ConflictVerbs.Refresh, model.ActionData, model.RefreshUserIds.Take(CardRefresh.MaxUserIds));
        }

        return card
            .AddText($"Conflict id {Id(conflict.ConflictId)}", isSubtle: true, spacing: Spacing.Small)
            .WithFallbackText(open ? "POR conflict: the customer will decide." : conflict.WasWithdrawn() ? "POR conflict closed: claim withdrawn." : "POR conflict resolved.");
    }

    /// <summary>The short form behind "We're doing the work — add proof"; <paramref name="problems"/> are shown above it, the typed values kept.</summary>
    public static AdaptiveCard ProofForm(ConflictCardModel model, IReadOnlyList<string> problems, string? work = null, string? link = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(problems);
        var viewer = model.ViewerPartnerId is { } id ? model.PartnerName(id) : "your organisation";
        var card = new AdaptiveCard()
            .AddText(Context(model), TextSize.Small, isSubtle: true)
            .AddHeading("Add proof of execution", TextSize.Medium)
            .AddText($"Say what work {Markdown.Escape(viewer)} is doing for the customer. Every party's card shows that you added proof and when; " +
                     "the text and link are shown only to your organisation and to PorBot operators, who use them when the customer decides.");
        if (problems.Count > 0)
        {
            card.AddContainer(ContainerStyle.Attention, c =>
            {
                c.AddText(problems.Count == 1 ? "Please fix this:" : "Please fix these:", weight: TextWeight.Bolder);
                foreach (var problem in problems) c.AddText(problem, spacing: Spacing.Small);
            });
        }

        card.AddInput(new TextInput(ProofWorkInput)
        {
            Label = "What work are you doing for the customer?",
            IsMultiline = true,
            MaxLength = ClaimService.MaxProofLength,
            IsRequired = true,
            ErrorMessage = $"Describe the work, in at most {ClaimService.MaxProofLength} characters.",
            Placeholder = "For example: migrating 40 mailboxes since March; weekly status calls with their IT team.",
            Value = work,
        });
        card.AddInput(new TextInput(ProofLinkInput)
        {
            Label = "Link to evidence (optional)",
            Style = TextInputStyle.Url,
            MaxLength = ClaimService.MaxProofLinkLength,
            Placeholder = "https://…",
            Value = link,
        });
        return card
            .AddActionSet(
                new ExecuteAction("Add proof", ConflictVerbs.Proof, model.ActionData) { AssociatedInputs = AssociatedInputs.Auto },
                new ExecuteAction("Cancel", ConflictVerbs.Refresh, model.ActionData) { AssociatedInputs = AssociatedInputs.None })
            .WithFallbackText("Add proof of execution to the POR conflict.");
    }

    /// <summary>For someone whose organisation is no party to the conflict (a forwarded card): no conflict data at all.</summary>
    public static AdaptiveCard Refusal() =>
        new AdaptiveCard()
            .AddHeading("Not available to you", TextSize.Medium)
            .AddText(RefusalText)
            .WithFallbackText("This POR conflict card is not available to your organisation.");

    /// <summary>A guidance scenario card, answering "Show the steps", with the way back to the conflict.</summary>
    public static AdaptiveCard WithBackToConflict(AdaptiveCard scenarioCard, ConflictCardModel model)
    {
        ArgumentNullException.ThrowIfNull(scenarioCard);
        ArgumentNullException.ThrowIfNull(model);
        scenarioCard.Body.Insert(0, new TextBlock($"Steps for {Context(model)}") { Size = TextSize.Small, IsSubtle = true, Wrap = true });
        return scenarioCard.AddActionSet(new ExecuteAction(BackTitle, ConflictVerbs.Refresh, model.ActionData));
    }

    /// <param name="productName">The subscription's product, or null when the subscription is not in the registry.</param>
    /// <param name="alternatives">Actions the guidance can answer instead (other scenarios, the guided dialog).</param>
    public static AdaptiveCard NoScenario(ConflictCardModel model, string? productName, string? programName, IReadOnlyList<CardAction> alternatives)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(alternatives);
        var card = new AdaptiveCard()
            .AddText(Context(model), TextSize.Small, isSubtle: true)
            .AddHeading("No scenario for this product and program", TextSize.Medium)
            .AddText(productName is null || programName is null
                ? "This subscription isn't in the POR registry any more, so I can't tell which scenario applies."
                : $"The POR guidance I have has no scenario for **{productName}** bought through **{programName}**, so I can't list the steps for this subscription.");
        if (alternatives.Count > 0)
        {
            card.AddText("The guidance can help with:", weight: TextWeight.Bolder, spacing: Spacing.Medium);
            foreach (var action in alternatives)
            {
                card.Add(new Container(ContainerStyle.Emphasis, new TextBlock(action.Title ?? "") { Color = TextColor.Accent, Weight = TextWeight.Bolder, Wrap = true })
                {
                    SelectAction = action,
                    Spacing = Spacing.Small,
                });
            }
        }

        return card
            .AddActionSet(new ExecuteAction(BackTitle, ConflictVerbs.Refresh, model.ActionData))
            .WithFallbackText(productName is null ? "No POR scenario for this subscription." : $"No POR scenario for {productName} bought through {programName}.");
    }

    private static ShowCardAction WithdrawButton(ConflictCardModel model)
    {
        var others = model.Conflict.Claimants.Count(c => c.Status == ClaimStatus.Active && c.PartnerId != model.ViewerPartnerId);
        var confirm = new AdaptiveCard { Schema = null, Version = null }
            .AddText("Withdraw your claim on this subscription? Every party's card will show it. " +
                     (others == 0 ? "No other claimant is left, so the conflict closes and the current Partner of Record stays." : "The conflict stays open for the other claimants."))
            .AddActionSet(new ExecuteAction(ConfirmWithdrawTitle, ConflictVerbs.Withdraw, model.ActionData));
        return new ShowCardAction(WithdrawTitle, confirm);
    }

    private static void AddNotice(AdaptiveCard card, CardNotice? notice)
    {
        if (notice is null) return;
        card.AddText(notice.Text, color: notice.IsProblem ? TextColor.Attention : TextColor.Good, weight: TextWeight.Bolder, spacing: Spacing.Small);
    }

    private static string ViewerLine(ConflictCardModel model)
    {
        if (model.ViewerPartnerId is not { } viewer) return "Operator view (read-only)";
        var conflict = model.Conflict;
        var role = viewer == conflict.CurrentPorPartnerId
            ? conflict.Status == ConflictStatus.Open ? "current Partner of Record"
                : conflict.WinnerPartnerId == viewer ? "stays Partner of Record" : "was Partner of Record"
            : conflict.Claimants.LastOrDefault(c => c.PartnerId == viewer)?.Status switch
            {
                ClaimStatus.Withdrawn => "you withdrew your claim",
                ClaimStatus.Won => "your claim won",
                ClaimStatus.Lost => "your claim lost",
                _ => "claimant",
            };
        return $"For {Markdown.Escape(model.PartnerName(viewer))} ({role})";
    }

    private static List<(string, string)> Facts(ConflictCardModel model)
    {
        var conflict = model.Conflict;
        var subscription = model.Subscription;
        var claimants = conflict.Claimants.Where(c => c.Status != ClaimStatus.Withdrawn).ToList();
        var opened = conflict.Claimants.Count > 0 ? conflict.Claimants.Min(c => c.CreatedAt) : (DateTimeOffset?)null;
        var facts = new List<(string, string)>
        {
            ("Customer", subscription is null ? "(not in the registry)" : Markdown.Escape(subscription.CustomerName)),
            ("Subscription", Id(conflict.SubscriptionId)),
        };
        if (subscription is not null) facts.Add(("Product / program", $"{LookupCards.ProductName(subscription.Product)} / {LookupCards.ProgramName(subscription.Program)}"));
        facts.Add(("Current POR", Partner(model, conflict.CurrentPorPartnerId)));
        facts.Add((claimants.Count == 1 ? "Claimant" : "Claimants",
            claimants.Count == 0 ? "(none left)" : string.Join(", ", claimants.Select(c => Partner(model, c.PartnerId)))));
        if (opened is { } when) facts.Add(("When", Time(when)));
        return facts;
    }

    private static string Outcome(ConflictCardModel model)
    {
        var conflict = model.Conflict;
        if (conflict.WasWithdrawn()) return $"The claim was withdrawn; Partner of Record stays {Partner(model, conflict.CurrentPorPartnerId)}.";
        return $"Partner of Record: {(conflict.WinnerPartnerId is { } winner ? Partner(model, winner) : "unchanged")}.";
    }

    private static void AddProofs(AdaptiveCard card, ConflictCardModel model)
    {
        var proofs = model.Proofs;
        card.Add(new TextBlock("Proof of execution") { Weight = TextWeight.Bolder, Wrap = true, Spacing = Spacing.Medium, Separator = true });
        if (proofs.Count == 0)
        {
            card.AddText("None added yet.", isSubtle: true, spacing: Spacing.Small);
            return;
        }

        card.AddText(proofs.Count == 1 ? "1 proof added." : $"{proofs.Count} proofs added.", spacing: Spacing.Small);
        foreach (var proof in proofs.OrderByDescending(p => p.AddedAt).Take(ProofsShown))
        {
            card.AddText($"Proof added by **{Markdown.Escape(model.PartnerName(proof.PartnerId))}** on {Time(proof.AddedAt)}", spacing: Spacing.Small);
            // A partner's own words stay with that partner (and operators): the other party sees only that proof exists.
            if (model.ViewerPartnerId is not null && model.ViewerPartnerId != proof.PartnerId) continue;
            card.AddVerbatimText(proof.Description, isSubtle: true);
            if (proof.Link is { } link) card.AddVerbatimText("Link: " + link, isSubtle: true);
        }

        if (proofs.Count > ProofsShown) card.AddText($"…and {proofs.Count - ProofsShown} earlier.", isSubtle: true, spacing: Spacing.Small);
    }

    private static string Context(ConflictCardModel model)
    {
        var s = model.Subscription;
        return s is null
            ? $"Subscription {Id(model.Conflict.SubscriptionId)}"
            : $"{Markdown.Escape(s.CustomerName)} · {LookupCards.ProductName(s.Product)} · {LookupCards.ProgramName(s.Program)}";
    }

    private static string Partner(ConflictCardModel model, string id) =>
        model.PartnerNames.TryGetValue(id, out var name) ? $"{Markdown.Escape(name)} ({id})" : id;

    private static string Time(DateTimeOffset when) => when.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);
}
