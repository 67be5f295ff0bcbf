using System.Globalization;
using PorBot.Protocol.Cards;

namespace PorBot.Lookups;

/// <summary>
/// The chat cards for lookups. Everything from the registry or the user (customer and partner names,
/// domains, the query) is untrusted: shown verbatim (RichTextBlock) or markdown-escaped in facts.
/// </summary>
public static class LookupCards
{
    public const int MaxSubscriptionsShown = 10;
    public const int MaxChoicesShown = 5;

    public const string CheckWhoIsPorQuestion = "How do I check who the Partner of Record is?";
    public const string WhyPorMattersQuestion = "What is Partner of Record and why does it matter?";
    public const string FindPartnerIdQuestion = "Where do I find my partner ID?";
    public const string AnotherPartnerListedQuestion = "What can I do when another partner is already listed as Partner of Record?";
    public const string ProofOfExecutionQuestion = "What proof of execution do I need as Partner of Record?";

    public static AdaptiveCard Customer(CustomerFound found)
    {
        var card = new AdaptiveCard();
        card.AddVerbatimText(found.CustomerName, TextSize.Large, TextWeight.Bolder);
        card.AddText($"Customer, found by {FoundBy(found)}", isSubtle: true, spacing: Spacing.None);
        card.AddFacts(Facts(
            ("Customer tenant", found.CustomerTenantId.ToString("D")),
            ("Domain", found.CustomerDomain is { } d ? Markdown.Escape(d) : null)));
        if (found.Caller.Role == CallerRole.Operator) card.AddText("You see every detail as a PorBot operator.", isSubtle: true);

        foreach (var view in found.Subscriptions.Take(MaxSubscriptionsShown))
        {
            card.AddContainer(view.CallerIsPor ? ContainerStyle.Good : ContainerStyle.Emphasis, c => AddSubscription(c, view));
        }

        if (found.Subscriptions.Count > MaxSubscriptionsShown)
        {
            card.AddText($"…and {found.Subscriptions.Count - MaxSubscriptionsShown} more subscriptions. Look up a subscription id to see one of them.", isSubtle: true);
        }

        // One pass: the first three distinct next steps in subscription order, how many are the caller's, the sources.
        var next = new List<string>(3);
        var mine = 0;
        var provenance = new List<Provenance>(found.Subscriptions.Count);
        foreach (var view in found.Subscriptions)
        {
            if (next.Count < 3 && NextStepQuestion(view) is var question && !next.Contains(question)) next.Add(question);
            if (view.CallerIsPor) mine++;
            provenance.Add(view.Subscription.Provenance);
        }

        card.AddText("What next", weight: TextWeight.Bolder, spacing: Spacing.Medium);
        var actions = new ActionSet();
        foreach (var question in next) actions.Actions.Add(SubmitAction.ImBack(NextStepTitle(question), question));
        card.Add(actions);
        AddProvenance(card, provenance);

        return card.WithFallbackText($"{found.CustomerName}: {Plural(found.Subscriptions.Count, "subscription")}" +
            (mine > 0 ? $", you are Partner of Record for {mine}." : "."));
    }

    public static AdaptiveCard CustomerChoices(CustomerChoices choices)
    {
        var card = new AdaptiveCard()
            .AddText($"{Plural(choices.Matches.Count, "customer")}{(choices.HasMore ? " (and more)" : "")} match", weight: TextWeight.Bolder);
        card.AddVerbatimText(choices.Query.Text, isSubtle: true);
        foreach (var match in choices.Matches.Take(MaxChoicesShown))
        {
            card.AddContainer(ContainerStyle.Emphasis, c => c
                .AddVerbatimText(match.CustomerName, weight: TextWeight.Bolder)
                .AddText(Detail(match.CustomerDomain, Plural(match.SubscriptionCount, "subscription")), isSubtle: true, spacing: Spacing.None)
                .AddActionSet(SubmitAction.ImBack($"Show {Shorten(match.CustomerName)}", $"lookup {match.CustomerTenantId:D}")));
        }

        if (choices.HasMore || choices.Matches.Count > MaxChoicesShown)
        {
            card.AddText("More customers match: type more of the name to narrow it down.", isSubtle: true);
        }

        return card.WithFallbackText($"{Plural(choices.Matches.Count, "customer")} match. Pick one to see its Partner of Record.");
    }

    public static AdaptiveCard CustomerNotFound(CustomerNotFound notFound)
    {
        var what = notFound.Query.Kind switch
        {
            LookupQueryKind.Id => "No subscription or customer tenant with this id is in the registry:",
            LookupQueryKind.Domain => "No customer with this domain is in the registry:",
            _ => "No customer with a name like this is in the registry:",
        };
        var card = new AdaptiveCard().AddText(what, weight: TextWeight.Bolder);
        card.AddVerbatimText(notFound.Query.Text, isSubtle: true);
        if (notFound.Closest.Count > 0)
        {
            card.AddText("Closest names:");
            card.AddActionSet(notFound.Closest.Select(m => SubmitAction.ImBack(Shorten(m.CustomerName), $"lookup {m.CustomerTenantId:D}")));
        }

        card.AddText("PorBot's registry only has the customers imported into it, so this does not prove the customer has no Partner of Record.", isSubtle: true);
        card.AddActionSet(SendText(CheckWhoIsPorQuestion));
        return card.WithFallbackText("No customer matches that in the registry.");
    }

    /// <summary>For an unmapped tenant: what to do, and no registry data at all.</summary>
    public static AdaptiveCard GuidanceOnly(GuidanceOnly guidance) =>
        new AdaptiveCard()
            .AddHeading("Lookups need a registered partner organisation", TextSize.Medium)
            .AddText("PorBot looks up Partner of Record details only for people whose organisation (its Microsoft Entra tenant) " +
                     "is registered as a partner in PorBot. Yours isn't, so I can't search the registry for you.")
            .AddFacts(("Your tenant id", guidance.TenantId is { } t && Guid.TryParse(t, out var id) ? id.ToString("D") : "not known"))
            .AddText("Ask your PorBot administrator to add this tenant id to your partner record. Meanwhile, I can answer questions about Partner of Record:")
            .AddActionSet(SendText(CheckWhoIsPorQuestion), SendText(WhyPorMattersQuestion))
            .WithFallbackText("Lookups need your organisation to be registered as a partner in PorBot. Ask your PorBot administrator.");

    public static AdaptiveCard PartnerIdCheck(PartnerIdChecked check)
    {
        var format = check.Format;
        var card = new AdaptiveCard().AddHeading(format.PartnerId is { } id && format.IsWellFormed ? $"Partner ID {id}" : "Partner ID check", TextSize.Medium);
        if (!format.IsWellFormed) card.AddVerbatimText(format.Input, isSubtle: true);

        var registry = (check.RegistryChecked, check.Partner) switch
        {
            (true, { } p) => $"Known: {Markdown.Escape(p.Name)}{(p.Country is { } c ? $" ({Markdown.Escape(c)})" : "")}",
            (true, null) => "Not in PorBot's registry. That does not prove no partner has it: the registry only has the partners imported into it.",
            (false, _) when !format.IsWellFormed => "Not checked: the format is wrong.",
            _ => "Not checked: your organisation isn't registered with PorBot, so I can only check the format.",
        };
        card.AddFacts(Facts(
            ("Format", format.Explanation + (format.IsWellFormed && check.Partner is null ? " A right format alone doesn't mean a partner has this ID." : "")),
            ("Registry", registry),
            ("Global or location ID", format.IsWellFormed ? "Not known: the registry doesn't record whether an ID is a global (PGA) or a location (PLA) account." : null)));

        if (check.Partner is { } partner && check.Caller.IsPartner(partner.PartnerId))
        {
            card.AddText("This is your organisation's partner ID.", color: TextColor.Good, weight: TextWeight.Bolder);
        }

        if (check.Partner is not null) AddProvenance(card, [check.Partner.Provenance]);
        card.AddActionSet(SendText(FindPartnerIdQuestion));
        return card.WithFallbackText(check.Partner is { } known
            ? $"Partner ID {known.PartnerId}: {known.Name}."
            : $"Partner ID check: {format.Explanation}");
    }

    public static AdaptiveCard Partner(PartnerRecord partner, LookupCaller caller)
    {
        var card = new AdaptiveCard();
        card.AddVerbatimText(partner.Name, TextSize.Large, TextWeight.Bolder);
        card.AddText("Partner", isSubtle: true, spacing: Spacing.None);
        card.AddFacts(Facts(
            ("Partner ID", partner.PartnerId),
            ("Country", partner.Country is { } c ? Markdown.Escape(c) : null),
            ("Global or location ID", "Not known: the registry doesn't record it.")));
        if (caller.IsPartner(partner.PartnerId)) card.AddText("This is your organisation.", color: TextColor.Good, weight: TextWeight.Bolder);
        AddProvenance(card, [partner.Provenance]);
        return card.WithFallbackText($"{partner.Name}: partner ID {partner.PartnerId}.");
    }

    public static AdaptiveCard PartnerChoices(PartnerChoices choices)
    {
        var card = new AdaptiveCard()
            .AddText($"{Plural(choices.Partners.Count, "partner")}{(choices.HasMore ? " (and more)" : "")} match", weight: TextWeight.Bolder);
        card.AddVerbatimText(choices.Query, isSubtle: true);
        foreach (var partner in choices.Partners.Take(MaxChoicesShown))
        {
            card.AddContainer(ContainerStyle.Emphasis, c => c
                .AddVerbatimText(partner.Name, weight: TextWeight.Bolder)
                .AddText(Detail($"Partner ID {partner.PartnerId}", partner.Country), isSubtle: true, spacing: Spacing.None)
                .AddActionSet(SubmitAction.ImBack($"Show {Shorten(partner.Name)}", $"mpn {partner.PartnerId}")));
        }

        if (choices.HasMore || choices.Partners.Count > MaxChoicesShown)
        {
            card.AddText("More partners match: type more of the name to narrow it down.", isSubtle: true);
        }

        return card.WithFallbackText($"{Plural(choices.Partners.Count, "partner")} match.");
    }

    public static AdaptiveCard PartnerNotFound(PartnerNotFound notFound)
    {
        var card = new AdaptiveCard().AddText("No partner with a name like this is in the registry:", weight: TextWeight.Bolder);
        card.AddVerbatimText(notFound.Query, isSubtle: true);
        if (notFound.Closest.Count > 0)
        {
            card.AddText("Closest names:");
            card.AddActionSet(notFound.Closest.Select(p => SubmitAction.ImBack(Shorten(p.Name), $"mpn {p.PartnerId}")));
        }

        return card.WithFallbackText("No partner matches that in the registry.");
    }

    /// <summary>
    /// The guidance question that fits what the asker can do about this subscription; it goes back in as
    /// typed text, so the guidance answers pick it up.
    /// </summary>
    public static string NextStepQuestion(SubscriptionView view)
    {
        if (view.CallerIsPor) return ProofOfExecutionQuestion;
        if (view.Status != PorStatus.NoneListed) return AnotherPartnerListedQuestion;
        var offering = $"{ProgramShortName(view.Subscription.Program)} {ProductName(view.Subscription.Product)}";
        var article = "AEIOU".Contains(offering[0], StringComparison.Ordinal) ? "an" : "a";
        return $"How do I become Partner of Record for {article} {offering} subscription?";
    }

    /// <summary>A button-sized title for a next-step question (Teams cuts long button titles).</summary>
    public static string NextStepTitle(string question) => question switch
    {
        ProofOfExecutionQuestion => "What proof do I need?",
        AnotherPartnerListedQuestion => "Another partner is POR: what now?",
        _ when question.StartsWith("How do I become Partner of Record", StringComparison.Ordinal) => "How do I become POR?",
        _ => question,
    };

    public static string ProgramName(PurchaseProgram program) => program switch
    {
        PurchaseProgram.EA => "Enterprise Agreement (EA)",
        PurchaseProgram.EAS => "Enterprise Subscription (EAS)",
        PurchaseProgram.CASA => "Campus and School Agreement (CASA)",
        PurchaseProgram.EES => "Enrollment for Education Solutions (EES)",
        PurchaseProgram.MOSP => "Microsoft Online Subscription Program (MOSP)",
        PurchaseProgram.Open => "Open licensing",
        PurchaseProgram.MOSA => "Microsoft Online Services Agreement (MOSA)",
        PurchaseProgram.CSP => "Cloud Solution Provider (CSP)",
        _ => program.ToString(),
    };

    public static string ProgramShortName(PurchaseProgram program) => program == PurchaseProgram.Open ? "Open" : program.ToString();

    public static string ProductName(Product product) => product switch
    {
        Product.Office365 => "Office 365",
        Product.Intune => "Intune",
        Product.AADP => "Azure AD Premium",
        Product.DynamicsCRMOnline => "Dynamics CRM Online",
        Product.Azure => "Azure",
        _ => product.ToString(),
    };

    /// <summary>One line for a subscription's POR as this caller may see it (used by the compact card and previews too).</summary>
    public static string PorSummary(SubscriptionView view, bool markdown) => view.Status switch
    {
        PorStatus.ListedVisible => $"{(markdown ? Markdown.Escape(view.Subscription.PorPartnerName ?? "Name not in registry") : view.Subscription.PorPartnerName ?? "Name not in registry")} " +
                                   $"({view.Subscription.PorPartnerId})" +
                                   (view.Subscription.PorSince is { } since ? $" since {FormatDate(since)}" : ""),
        PorStatus.ListedHidden => "Another partner is listed",
        _ => "No partner is listed",
    };

    public static string FormatDate(DateOnly date) => date.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>A button that posts <paramref name="text"/> as if typed (Teams imBack), so clicking and typing take one path.</summary>
    public static SubmitAction SendText(string text) => SubmitAction.ImBack(text, text);

    private static void AddSubscription(Container container, SubscriptionView view)
    {
        var s = view.Subscription;
        container.AddText($"**{ProductName(s.Product)} · {ProgramShortName(s.Program)}**");
        container.AddFacts(Facts(
            ("Subscription", s.SubscriptionId.ToString("D")),
            ("Program", ProgramName(s.Program)),
            ("Product", ProductName(s.Product)),
            ("Partner of Record", view.Status == PorStatus.ListedVisible
                ? $"{Markdown.Escape(s.PorPartnerName ?? "Name not in registry")} ({s.PorPartnerId})"
                : PorSummary(view, markdown: true)),
            ("Since", view.Status == PorStatus.ListedVisible && s.PorSince is { } since ? FormatDate(since) : null)));

        if (view.CallerIsPor)
        {
            container.AddText("You are the Partner of Record", color: TextColor.Good, weight: TextWeight.Bolder);
        }
        else if (view.CallerIsClaimant)
        {
            container.AddText("You have a claim on this subscription.", color: TextColor.Accent);
        }
        else if (view.Status == PorStatus.ListedHidden)
        {
            container.AddText("Only the listed partner and PorBot operators can see who it is.", isSubtle: true, spacing: Spacing.None);
        }
    }

    private static string FoundBy(CustomerFound found) => found.Query.Kind switch
    {
        LookupQueryKind.Id when found.Subscriptions.Any(s => s.Subscription.SubscriptionId == found.Query.Id) => "subscription id",
        LookupQueryKind.Id => "tenant id",
        LookupQueryKind.Domain => "domain",
        _ => "name",
    };

    private static void AddProvenance(AdaptiveCard card, List<Provenance> provenance)
    {
        if (provenance.Count == 0) return;
        var distinctSources = new List<string>(1);
        var updated = DateTimeOffset.MinValue;
        foreach (var p in provenance)
        {
            if (!distinctSources.Contains(p.Source)) distinctSources.Add(p.Source);
            if (p.UpdatedAt > updated) updated = p.UpdatedAt;
        }
        var sources = string.Join(", ", distinctSources);
        card.AddText($"Source: {Markdown.Escape(sources)} · updated {updated.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}",
            size: TextSize.Small, isSubtle: true, spacing: Spacing.Medium);
    }

    private static List<(string, string)> Facts(params ReadOnlySpan<(string Title, string? Value)> facts)
    {
        var shown = new List<(string, string)>(facts.Length);
        foreach (var (title, value) in facts)
        {
            if (value is not null) shown.Add((title, value));
        }
        return shown;
    }

    private static string Detail(params string?[] parts) =>
        string.Join(" · ", parts.Where(p => !string.IsNullOrEmpty(p)).Select(p => Markdown.Escape(p!)));

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..39] + "…";
}
