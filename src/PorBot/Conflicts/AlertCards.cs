using System.Globalization;
using PorBot.Lookups;
using PorBot.Protocol.Cards;

namespace PorBot.Conflicts;

/// <summary>The conflict alert every party gets, rebuilt from the current state each time it is sent or updated.</summary>
public static class AlertCards
{
    public const string NextSteps = "The customer will be asked to clarify who their Partner of Record is; proof of execution may be requested.";

    /// <param name="partnerNames">Registry names by partner id; a missing name shows the id alone.</param>
    public static AdaptiveCard Conflict(ConflictState conflict, SubscriptionRecord? subscription, IReadOnlyDictionary<string, string> partnerNames)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        ArgumentNullException.ThrowIfNull(partnerNames);
        string Partner(string id) => partnerNames.TryGetValue(id, out var name) ? $"{Markdown.Escape(name)} ({id})" : id;

        var claimants = conflict.Claimants.Where(c => c.Status != ClaimStatus.Withdrawn).ToList();
        var opened = conflict.Claimants.Count > 0 ? conflict.Claimants.Min(c => c.CreatedAt) : (DateTimeOffset?)null;
        var facts = new List<(string, string)>
        {
            ("Customer", subscription is null ? "(not in the registry)" : Markdown.Escape(subscription.CustomerName)),
            ("Subscription", conflict.SubscriptionId.ToString("D", CultureInfo.InvariantCulture)),
        };
        if (subscription is not null) facts.Add(("Product / program", $"{subscription.Product} / {subscription.Program}"));
        facts.Add(("Current POR", Partner(conflict.CurrentPorPartnerId)));
        facts.Add((claimants.Count == 1 ? "Claimant" : "Claimants",
            claimants.Count == 0 ? "(none left)" : string.Join(", ", claimants.Select(c => Partner(c.PartnerId)))));
        if (opened is { } when) facts.Add(("When", when.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)));

        var card = new AdaptiveCard()
            .AddHeading(conflict.Status == ConflictStatus.Open ? "POR conflict: the customer will decide" : "POR conflict resolved")
            .AddFacts(facts);
        card = conflict.Status == ConflictStatus.Open
            ? card.AddText(NextSteps)
            : card.AddText($"Partner of Record: {(conflict.WinnerPartnerId is { } winner ? Partner(winner) : "unchanged")}.", weight: TextWeight.Bolder);
        return card
            .AddText($"Conflict id {conflict.ConflictId.ToString("D", CultureInfo.InvariantCulture)}", isSubtle: true, spacing: Spacing.Small)
            .WithFallbackText(conflict.Status == ConflictStatus.Open ? "POR conflict: the customer will decide." : "POR conflict resolved.");
    }
}
