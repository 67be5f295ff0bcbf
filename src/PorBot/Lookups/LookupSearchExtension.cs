using System.Text.Json;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Lookups;

/// <summary>
/// The search message extension (command id <c>lookup</c>, parameter <c>query</c>): results as a list
/// with thumbnail previews, paged with <c>queryOptions</c>, under the same access rules as chat, and
/// always within the lookup budget (Teams drops answers after 5 s).
/// </summary>
public sealed class LookupSearchHandler(LookupService lookups, ILogger<LookupSearchHandler> logger) : IInvokeHandler
{
    public const string CommandId = "lookup";
    public const string QueryParameter = "query";
    public const string Hint = "Search by customer name, domain, customer tenant id or subscription id, or type a partner ID (mpn 4412345) or partner name (partner Fabrikam).";
    public const int DefaultPageSize = 10;

    public async Task<InvokeResponse> HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        MessagingExtensionQuery? request;
        try
        {
            request = turn.GetValue<MessagingExtensionQuery>();
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null) return InvokeResponse.BadRequest("composeExtension/query needs a value with commandId and parameters.");
        if (!string.Equals(request.CommandId, CommandId, StringComparison.Ordinal))
        {
            logger.LogWarning("Message extension query for unknown command {CommandId}", request.CommandId);
            return Ok(MessagingExtensionResponse.Message("PorBot doesn't know this search command. Update the PorBot app and try again."));
        }

        var text = Parameter(request, QueryParameter);
        var initialRun = string.Equals(Parameter(request, "initialRun"), "true", StringComparison.OrdinalIgnoreCase);
        if (initialRun || string.IsNullOrWhiteSpace(text)) return Ok(MessagingExtensionResponse.Message(Hint));

        var skip = Math.Max(0, request.QueryOptions?.Skip ?? 0);
        var count = Math.Clamp(request.QueryOptions?.Count ?? DefaultPageSize, 1, LookupService.MaxPageSize);
        var asker = LookupChat.Asker(turn);
        // People type questions into the search box too ("who is POR for contoso.com").
        var query = LookupIntentRecognizer.Recognize(text) switch
        {
            { Kind: LookupIntentKind.PartnerId } intent => new LookupQuery(LookupQueryKind.PartnerId, intent.Argument),
            { } intent => LookupQuery.ForCustomer(intent.Argument),
            null => LookupQuery.ForSearch(text),
        };
        var outcome = query.Kind switch
        {
            LookupQueryKind.Empty => null,
            LookupQueryKind.PartnerId => await lookups.CheckPartnerIdAsync(asker, query.Text, cancellationToken),
            LookupQueryKind.PartnerName => await lookups.SearchPartnersAsync(asker, query.Text, skip, count, cancellationToken),
            _ => await lookups.LookupCustomerAsync(asker, query, skip, count, expandSingleMatch: false, cancellationToken),
        };

        // Single answers have one page only.
        var singleAnswer = outcome is CustomerFound or PartnerIdChecked;
        if (singleAnswer && skip > 0) return Ok(MessagingExtensionResponse.Results([]));

        return Ok(outcome switch
        {
            null => MessagingExtensionResponse.Message(Hint),
            GuidanceOnly g => MessagingExtensionResponse.Message(SearchResults.GuidanceOnlyText(g)),
            RegistryTimedOut => MessagingExtensionResponse.Message(LookupChat.TimeoutText),
            CustomerFound f => MessagingExtensionResponse.Results([SearchResults.Customer(f)]),
            CustomerChoices c => MessagingExtensionResponse.Results(c.Matches.Select(SearchResults.CustomerChoice)),
            CustomerNotFound n => MessagingExtensionResponse.Message(SearchResults.NotFoundText(n.Query.Text, n.Closest.Select(m => m.CustomerName))),
            PartnerIdChecked p => MessagingExtensionResponse.Results([SearchResults.PartnerIdCheck(p)]),
            PartnerChoices p => MessagingExtensionResponse.Results(p.Partners.Select(SearchResults.Partner)),
            PartnerNotFound n => MessagingExtensionResponse.Message(SearchResults.NotFoundText(n.Query, n.Closest.Select(p => p.Name))),
            _ => throw new InvalidOperationException($"Unexpected lookup outcome {outcome.GetType().Name}."),
        });
    }

    private static InvokeResponse Ok(MessagingExtensionResponse response) => InvokeResponse.Ok(response);

    private static string? Parameter(MessagingExtensionQuery request, string name)
    {
        var value = request.Parameters?.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))?.Value;
        return value is { ValueKind: JsonValueKind.String } s ? s.GetString() : value?.ToString();
    }
}

/// <summary><c>composeExtension/selectItem</c>: the picked result, looked up again for whoever picks it, as a compact card to insert.</summary>
public sealed class LookupSelectItemHandler(LookupService lookups) : IInvokeHandler
{
    public async Task<InvokeResponse> HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        LookupSelection? selection;
        try
        {
            selection = turn.GetValue<LookupSelection>();
        }
        catch (JsonException)
        {
            selection = null;
        }

        // The tap value comes back from the client: untrusted, so it is only ever a query, run under the access rules.
        var query = LookupQuery.ForSearch(selection?.Lookup ?? string.Empty);
        if (query.Kind is LookupQueryKind.Empty or LookupQueryKind.PartnerName or LookupQueryKind.CustomerName)
        {
            return InvokeResponse.BadRequest("composeExtension/selectItem needs the value of a PorBot search result.");
        }

        var asker = LookupChat.Asker(turn);
        var outcome = query.Kind == LookupQueryKind.PartnerId
            ? await lookups.CheckPartnerIdAsync(asker, query.Text, cancellationToken)
            : await lookups.LookupCustomerAsync(asker, query, 0, 1, expandSingleMatch: false, cancellationToken);

        return InvokeResponse.Ok(outcome switch
        {
            GuidanceOnly g => MessagingExtensionResponse.Message(SearchResults.GuidanceOnlyText(g)),
            RegistryTimedOut => MessagingExtensionResponse.Message(LookupChat.TimeoutText),
            CustomerFound f => MessagingExtensionResponse.Results([SearchResults.Customer(f, withTap: false)]),
            PartnerIdChecked p => MessagingExtensionResponse.Results([SearchResults.PartnerIdCheck(p, withTap: false)]),
            _ => MessagingExtensionResponse.Message("That result is no longer in the registry. Search again."),
        });
    }
}

/// <summary>Search results: a compact card to insert and an HTML-encoded thumbnail preview whose tap runs selectItem.</summary>
internal static class SearchResults
{
    public const int MaxSubscriptionsInCard = 6;

    public static string GuidanceOnlyText(GuidanceOnly guidance) =>
        "Lookups need your organisation to be registered as a partner in PorBot. Ask your PorBot administrator to add your tenant id" +
        (guidance.TenantId is { } t && Guid.TryParse(t, out var id) ? $" ({id:D})." : ".");

    public static string NotFoundText(string query, IEnumerable<string> closest)
    {
        var names = closest.ToList();
        var shown = query.Length > 60 ? query[..60] + "…" : query;
        return $"Nothing in the registry matches \"{shown}\"." + (names.Count > 0 ? $" Closest names: {string.Join(", ", names)}." : "");
    }

    public static MessagingExtensionAttachment Customer(CustomerFound found, bool withTap = true)
    {
        var lookup = found.Query.Kind == LookupQueryKind.Id && found.Subscriptions.Count == 1 && found.Subscriptions[0].Subscription.SubscriptionId == found.Query.Id
            ? found.Query.Id.ToString("D")
            : found.CustomerTenantId.ToString("D");
        var card = new AdaptiveCard();
        card.AddVerbatimText(found.CustomerName, TextSize.Medium, TextWeight.Bolder);
        card.AddText(Detail(found.CustomerDomain, $"tenant {found.CustomerTenantId:D}"), isSubtle: true, spacing: Spacing.None);
        card.AddFacts(found.Subscriptions.Take(MaxSubscriptionsInCard).Select(v => (
            $"{LookupCards.ProductName(v.Subscription.Product)} ({LookupCards.ProgramShortName(v.Subscription.Program)})",
            LookupCards.PorSummary(v, markdown: true) + (v.CallerIsPor ? " (you)" : ""))));
        if (found.Subscriptions.Count > MaxSubscriptionsInCard)
        {
            card.AddText($"…and {found.Subscriptions.Count - MaxSubscriptionsInCard} more subscriptions.", isSubtle: true);
        }

        card.AddText(Footer(found.Subscriptions.Select(s => s.Subscription.Provenance)), size: TextSize.Small, isSubtle: true);
        card.WithFallbackText($"{found.CustomerName}: Partner of Record details from PorBot.");

        var mine = found.Subscriptions.Count(s => s.CallerIsPor);
        var summary = found.Subscriptions.Count == 1
            ? $"{LookupCards.ProductName(found.Subscriptions[0].Subscription.Product)} ({LookupCards.ProgramShortName(found.Subscriptions[0].Subscription.Program)}) · POR: {LookupCards.PorSummary(found.Subscriptions[0], markdown: false)}"
            : $"{found.Subscriptions.Count} subscriptions" + (mine > 0 ? $" · you are POR for {mine}" : "");
        return Result(card, found.CustomerName, Join(found.CustomerDomain, summary), withTap ? lookup : null);
    }

    public static MessagingExtensionAttachment CustomerChoice(CustomerMatch match)
    {
        var subscriptions = match.SubscriptionCount == 1 ? "1 subscription" : $"{match.SubscriptionCount} subscriptions";
        var card = new AdaptiveCard();
        card.AddVerbatimText(match.CustomerName, TextSize.Medium, TextWeight.Bolder);
        card.AddText(Detail(match.CustomerDomain, subscriptions), isSubtle: true, spacing: Spacing.None);
        card.WithFallbackText(match.CustomerName);
        return Result(card, match.CustomerName, Join(match.CustomerDomain, subscriptions), match.CustomerTenantId.ToString("D"));
    }

    public static MessagingExtensionAttachment PartnerIdCheck(PartnerIdChecked check, bool withTap = true)
    {
        var format = check.Format;
        var title = format.IsWellFormed ? $"Partner ID {format.PartnerId}" : "Not a partner ID";
        var status = (check.RegistryChecked, check.Partner) switch
        {
            (true, { } p) => p.Country is { } c ? $"{p.Name} ({c})" : p.Name,
            (true, null) => "Not in PorBot's registry (the format is right, but that alone doesn't mean a partner has this ID)",
            _ => format.Explanation + (format.IsWellFormed ? " Not checked in the registry." : ""),
        };
        var card = new AdaptiveCard();
        card.AddText(title, size: TextSize.Medium, weight: TextWeight.Bolder);
        card.AddVerbatimText(status);
        card.WithFallbackText($"{title}: {status}");
        return Result(card, title, status, withTap && format.IsWellFormed ? $"mpn {format.PartnerId}" : null);
    }

    public static MessagingExtensionAttachment Partner(PartnerRecord partner)
    {
        var detail = Join($"Partner ID {partner.PartnerId}", partner.Country);
        var card = new AdaptiveCard();
        card.AddVerbatimText(partner.Name, TextSize.Medium, TextWeight.Bolder);
        card.AddVerbatimText(detail, isSubtle: true);
        card.WithFallbackText($"{partner.Name}: partner ID {partner.PartnerId}");
        return Result(card, partner.Name, detail, $"mpn {partner.PartnerId}");
    }

    // Preview title and text are HTML to Teams: every string is encoded, data and our own alike.
    private static MessagingExtensionAttachment Result(AdaptiveCard card, string title, string text, string? selectLookup) => new()
    {
        Content = card,
        Preview = new MessagingExtensionPreview
        {
            Content = new ThumbnailCardContent
            {
                Title = HtmlEncode(title),
                Text = HtmlEncode(text),
                Tap = selectLookup is null ? null : new CardTap { Value = new LookupSelection { Lookup = selectLookup } },
            },
        },
    };

    // Only the characters HTML gives meaning to; WebUtility.HtmlEncode would also turn "·" and accents into entities.
    internal static string HtmlEncode(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string Footer(IEnumerable<Provenance> provenance)
    {
        var list = provenance.ToList();
        return list.Count == 0 ? "From PorBot" : $"From PorBot · updated {LookupCards.FormatDate(DateOnly.FromDateTime(list.Max(p => p.UpdatedAt).UtcDateTime))}";
    }

    private static string Detail(params string?[] parts) => Markdown.Escape(Join(parts));

    private static string Join(params string?[] parts) => string.Join(" · ", parts.Where(p => !string.IsNullOrEmpty(p)));
}
