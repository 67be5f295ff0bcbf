using System.Text.RegularExpressions;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;

namespace PorBot.Conflicts;

/// <summary>
/// Finds a claim asked for in natural phrasing: "we're the POR for &lt;id&gt;", "claim POR on subscription &lt;id&gt;",
/// "I want to claim &lt;id&gt;", "register us as partner of record for &lt;id&gt;". It needs exactly one subscription id
/// and a request, never a question ("how do I claim POR for …?") or a negation ("we're not the POR for …"):
/// those go on to lookups and guidance. Nothing is recorded on the strength of this: the claim card asks first.
/// </summary>
public static partial class ClaimIntentRecognizer
{
    public static Guid? Recognize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 500) return null;
        var ids = SubscriptionIds().Matches(text);
        if (ids.Count != 1 || !Guid.TryParse(ids[0].Value, out var subscriptionId)) return null;

        // The id stands in as one word, so the patterns read like the sentence.
        var sentence = SubscriptionIds().Replace(text.Replace('’', '\''), " SUBSCRIPTION ").Trim();
        if (QuestionStart().IsMatch(sentence) || Negation().IsMatch(sentence)) return null;
        return ClaimVerb().IsMatch(sentence) || WeArePor().IsMatch(sentence) || RegisterUsAsPor().IsMatch(sentence) || WantToBePor().IsMatch(sentence)
            ? subscriptionId
            : null;
    }

    private const string Por = @"(?:the\s+)?(?:(?:new|actual|real|rightful|current)\s+)?(?:por|dpor|partner\s+of\s+record)";

    [GeneratedRegex(@"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SubscriptionIds();

    // "can we claim …?" is a request; "how/why/should/is … claim …" is a question for guidance or a lookup.
    [GeneratedRegex(@"^(?:how|what|what's|why|when|where|who|who's|whom|whose|which|should|shall|is|are|was|were|does|do|did|has|have|had|if|whether)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionStart();

    [GeneratedRegex(@"\b(?:not|never|no\s+longer|don't|dont|didn't|won't|aren't|isn't|wasn't|stop|cancel|withdraw|undo|drop)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Negation();

    // "claim" as a verb before the id: not the noun of "our claim on …", nor "claims" or "claimed".
    [GeneratedRegex(@"(?<!\b(?:our|my|the|a|your|their|his|her|its|this|that|any|cpor)\s+)\bclaim(?:ing)?\b.*\bSUBSCRIPTION\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ClaimVerb();

    // "we're the POR for …", "I am the partner of record on …"
    [GeneratedRegex(@"\b(?:we|i)(?:'re|'m|\s+are|\s+am)\s+" + Por + @"\b.*\bSUBSCRIPTION\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WeArePor();

    // "register us as partner of record for …", "set us as POR on …", "make us the POR for …"
    [GeneratedRegex(@"\b(?:register|record|set|make|mark|add|list|put)\s+(?:us|me|my\s+company|our\s+company|our\s+organi[sz]ation)\s+(?:down\s+)?(?:in\s+)?(?:as\s+)?" + Por + @"\b.*\bSUBSCRIPTION\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RegisterUsAsPor();

    // "we want to be the POR for …", "I'd like to become partner of record on …", "we should be POR for …"
    [GeneratedRegex(@"\b(?:we|i)(?:'d|\s+would)?\s+(?:should|want\s+to|like\s+to|need\s+to|wish\s+to)\s+(?:be|become)\s+" + Por + @"\b.*\bSUBSCRIPTION\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WantToBePor();
}

/// <summary>
/// A claim asked for in natural phrasing gets the same confirmation card as <c>claim &lt;id&gt;</c>. Runs before the
/// lookup phrasing, which would otherwise read "we're the POR for &lt;id&gt;" as a lookup of that subscription.
/// </summary>
public sealed class ClaimIntentMiddleware(BotRoutes routes) : ITurnMiddleware
{
    public async Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
    {
        if (!string.Equals(turn.Activity.Type, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase) || routes.IsCommand(turn.Text) ||
            ClaimIntentRecognizer.Recognize(turn.Text) is not { } subscriptionId)
        {
            await next();
            return;
        }

        // Resolved only for a claim, not on every message turn: the scope's services grow with each one it makes.
        await turn.Services.GetRequiredService<ClaimCommandHandler>().ConfirmAsync(turn, subscriptionId, cancellationToken);
    }
}
