using System.Text.RegularExpressions;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Lookups;

/// <summary>Answers lookups in chat: runs them and sends the card that fits the outcome. Shared by the commands and the phrasing recogniser.</summary>
public sealed class LookupChat(LookupService lookups)
{
    public const string TimeoutText = "The POR registry didn't answer in time, so I can't tell you right now. Please try again in a moment.";

    /// <summary>Customer lookups, chat-sized (a short ranked list; one match shows the customer).</summary>
    public const int ChatChoices = LookupCards.MaxChoicesShown;

    public static LookupAsker Asker(TurnContext turn) => new(turn.TenantId, turn.UserAadObjectId);

    /// <summary>Runs what <see cref="LookupQuery.ForSearch"/> made of <paramref name="argument"/>.</summary>
    public Task RunAsync(TurnContext turn, LookupQuery query, CancellationToken cancellationToken) => query.Kind switch
    {
        LookupQueryKind.PartnerId => CheckPartnerIdAsync(turn, query.Text, cancellationToken),
        LookupQueryKind.PartnerName => SearchPartnersAsync(turn, query.Text, cancellationToken),
        LookupQueryKind.Empty => turn.SendTextAsync(LookupUsage.Lookup, cancellationToken),
        _ => LookupCustomerAsync(turn, query, onlyIfFound: false, cancellationToken),
    };

    /// <returns>False when <paramref name="onlyIfFound"/> and there was nothing to show: nothing was sent.</returns>
    public async Task<bool> LookupCustomerAsync(TurnContext turn, LookupQuery query, bool onlyIfFound, CancellationToken cancellationToken)
    {
        var outcome = await lookups.LookupCustomerAsync(Asker(turn), query, 0, ChatChoices, expandSingleMatch: true, cancellationToken);
        if (onlyIfFound && outcome is GuidanceOnly or CustomerNotFound or RegistryTimedOut) return false;
        await SendAsync(turn, outcome, cancellationToken);
        return true;
    }

    /// <summary>Answers a lookup recognised in free text; false (nothing sent) when the text is not one, so guidance can answer it.</summary>
    public async Task<bool> TryNaturalPhrasingAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        switch (LookupIntentRecognizer.Recognize(turn.Text))
        {
            case { Kind: LookupIntentKind.PartnerId } partnerId:
                await CheckPartnerIdAsync(turn, partnerId.Argument, cancellationToken);
                return true;
            case { } customer:
                return await LookupCustomerAsync(turn, LookupQuery.ForCustomer(customer.Argument), customer.OnlyIfFound, cancellationToken);
            default:
                return false;
        }
    }

    public async Task CheckPartnerIdAsync(TurnContext turn, string input, CancellationToken cancellationToken) =>
        await SendAsync(turn, await lookups.CheckPartnerIdAsync(Asker(turn), input, cancellationToken), cancellationToken);

    public async Task SearchPartnersAsync(TurnContext turn, string name, CancellationToken cancellationToken) =>
        await SendAsync(turn, await lookups.SearchPartnersAsync(Asker(turn), name, 0, ChatChoices, cancellationToken), cancellationToken);

    private static async Task SendAsync(TurnContext turn, LookupOutcome outcome, CancellationToken cancellationToken)
    {
        AdaptiveCard? card = outcome switch
        {
            GuidanceOnly g => LookupCards.GuidanceOnly(g),
            CustomerFound f => LookupCards.Customer(f),
            CustomerChoices c => LookupCards.CustomerChoices(c),
            CustomerNotFound n => LookupCards.CustomerNotFound(n),
            PartnerIdChecked p => LookupCards.PartnerIdCheck(p),
            PartnerChoices { Partners.Count: 1, HasMore: false } p => LookupCards.Partner(p.Partners[0], p.Caller),
            PartnerChoices p => LookupCards.PartnerChoices(p),
            PartnerNotFound n => LookupCards.PartnerNotFound(n),
            _ => null,
        };
        await (card is null
            ? turn.SendTextAsync(TimeoutText, cancellationToken)
            : turn.SendAttachmentAsync(card.ToAttachment(), cancellationToken));
    }
}

internal static class LookupUsage
{
    public const string Lookup = "Tell me what to look up after \"lookup\": a subscription id, a customer tenant id, a domain or a customer name. For example: lookup adventure-works.com";
    public const string Mpn = "Tell me the partner ID after \"mpn\", for example: mpn 4412345";
    public const string Partner = "Tell me the partner's name after \"partner\", for example: partner Fabrikam";
}

/// <summary><c>lookup &lt;subscription id | tenant id | domain | customer name&gt;</c> (also <c>lookup mpn …</c>, <c>lookup partner …</c>).</summary>
public sealed class LookupCommandHandler(LookupChat chat) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken) =>
        chat.RunAsync(turn, LookupQuery.ForSearch(turn.GetCommandArgument()), cancellationToken);
}

/// <summary><c>mpn &lt;partner id&gt;</c> and <c>partner id &lt;id&gt;</c>. Without any digits it is a question ("mpn id vs partner id?"), so it goes to the guidance answers.</summary>
public sealed class PartnerIdCommandHandler(LookupChat chat) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var argument = turn.GetCommandArgument();
        if (argument.Length == 0) return turn.SendTextAsync(LookupUsage.Mpn, cancellationToken);
        if (!argument.Any(char.IsAsciiDigit)) return MessageFallback.HandOverAsync(turn, cancellationToken);
        return chat.CheckPartnerIdAsync(turn, argument, cancellationToken);
    }
}

/// <summary>
/// <c>partner &lt;name&gt;</c>. Many POR questions start with "partner" ("partner of record for EA?"):
/// anything that reads as a question goes to the guidance answers instead of a name search.
/// </summary>
public sealed partial class PartnerSearchCommandHandler(LookupChat chat) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var argument = turn.GetCommandArgument();
        if (argument.Length == 0) return turn.SendTextAsync(LookupUsage.Partner, cancellationToken);
        if (LooksLikeQuestion(argument)) return NaturalPhrasingOrFallbackAsync(turn, cancellationToken);
        var query = LookupQuery.ForSearch("partner " + argument);
        return query.Kind == LookupQueryKind.PartnerId
            ? chat.CheckPartnerIdAsync(turn, query.Text, cancellationToken)
            : chat.SearchPartnersAsync(turn, query.Text, cancellationToken);
    }

    private async Task NaturalPhrasingOrFallbackAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (!await chat.TryNaturalPhrasingAsync(turn, cancellationToken)) await MessageFallback.HandOverAsync(turn, cancellationToken);
    }

    internal static bool LooksLikeQuestion(string argument) =>
        argument.Contains('?', StringComparison.Ordinal) ||
        argument.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 6 ||
        QuestionStart().IsMatch(argument);

    [GeneratedRegex(@"^(?:of\b|for\b|is\b|are\b|id\b|ids\b|program|center|centre|admin|association|link|incentive|benefit|how\b|what\b|who\b|can\b|do\b|does\b|should\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionStart();
}

/// <summary>Natural phrasing ("who is the partner of record for contoso.com?") answered before the guidance fallback sees it.</summary>
public sealed class LookupIntentMiddleware(BotRoutes routes, LookupChat chat) : ITurnMiddleware
{
    public async Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
    {
        // Commands route as typed; the partner command itself tries the phrasing ("partner of record for …").
        var isMessage = string.Equals(turn.Activity.Type, Protocol.Activities.ActivityTypes.Message, StringComparison.OrdinalIgnoreCase);
        if (!isMessage || routes.IsCommand(turn.Text) || !await chat.TryNaturalPhrasingAsync(turn, cancellationToken))
        {
            await next();
        }
    }
}

/// <summary>Hands a message a command claimed but cannot answer to the app's free-text fallback (the guidance answers).</summary>
internal static class MessageFallback
{
    public static Task HandOverAsync(TurnContext turn, CancellationToken cancellationToken) =>
        turn.GetRequiredService<BotRoutes>().MessageFallback is { } fallback
            ? ((ITurnHandler)turn.Services.GetRequiredService(fallback)).HandleAsync(turn, cancellationToken)
            : Task.CompletedTask;
}
