using System.Text.RegularExpressions;

namespace PorBot.Lookups;

public enum LookupIntentKind { Customer, PartnerId }

/// <summary>
/// A lookup recognised in free text. <see cref="OnlyIfFound"/> marks a guess from phrasing alone (a
/// customer name): when the registry has nothing for it, the message is left to the guidance answers,
/// because "who is POR for an EA Azure subscription?" is a question, not a name.
/// </summary>
public sealed record LookupIntent(LookupIntentKind Kind, string Argument, bool OnlyIfFound = false);

/// <summary>
/// Finds lookups in natural phrasing ("who is the partner of record for contoso.com?", "whose mpn id is
/// 4412345", "who is POR for subscription &lt;guid&gt;") with patterns for ids, domains and trigger phrases.
/// Deliberately conservative: anything it does not claim goes on to the guidance answers.
/// </summary>
public static partial class LookupIntentRecognizer
{
    // Microsoft's own sites show up in how-to questions ("where in admin.microsoft.com…"); nobody looks them up as customers.
    private static readonly string[] MicrosoftDomains =
    [
        "microsoft.com", "azure.com", "office.com", "office365.com", "live.com", "windows.net", "microsoftonline.com",
        "dynamics.com", "sharepoint.com", "cloud.microsoft", "microsoft365.com", "powerplatform.com", "bing.com",
    ];

    private static readonly HashSet<string> NotANameStart = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that", "these", "those", "every", "any",
        "each", "some", "all", "which", "what", "how", "new", "existing", "customers", "subscriptions",
    };

    public static LookupIntent? Recognize(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 500) return null;
        text = text.Trim();

        if (BarePartnerId().Match(text) is { Success: true } bare) return new(LookupIntentKind.PartnerId, bare.Groups["id"].Value);
        if (ExplicitPartnerId().Match(text) is { Success: true } id) return new(LookupIntentKind.PartnerId, id.Groups["id"].Value);
        if (PartnerIdTrigger().IsMatch(text) && ProbablePartnerId().Match(text) is { Success: true } near) return new(LookupIntentKind.PartnerId, near.Groups["id"].Value);

        if (Guids().Match(text) is { Success: true } guid && (IsBare(text, guid.Value) || CustomerTrigger().IsMatch(text)))
        {
            return new(LookupIntentKind.Customer, guid.Value);
        }

        foreach (Match candidate in DomainTokens().Matches(text))
        {
            var domain = candidate.Value.ToLowerInvariant();
            if (MicrosoftDomains.Any(m => domain == m || domain.EndsWith("." + m, StringComparison.Ordinal))) continue;
            if (IsBare(text, candidate.Value) || CustomerTrigger().IsMatch(text)) return new(LookupIntentKind.Customer, domain);
        }

        if (WeakPartnerTrigger().IsMatch(text) && ProbablePartnerId().Match(text) is { Success: true } probable)
        {
            return new(LookupIntentKind.PartnerId, probable.Groups["id"].Value);
        }

        foreach (var phrasing in new[] { WhoIsPorFor(), PorFor(), DoesHavePor() })
        {
            if (phrasing.Match(text) is { Success: true } m && CleanName(m.Groups["name"].Value) is { } name)
            {
                return new(LookupIntentKind.Customer, name, OnlyIfFound: true);
            }
        }

        return null;
    }

    private static bool IsBare(string text, string token) =>
        string.Equals(text.Trim().TrimEnd('?', '.', '!').Trim(), token, StringComparison.OrdinalIgnoreCase);

    private static string? CleanName(string raw)
    {
        var name = TrailingNoise().Replace(raw.Trim().TrimEnd('?', '.', '!').Trim(), string.Empty);
        name = LeadingNoise().Replace(name, string.Empty).Trim().Trim('"', '\'', '“', '”').Trim();
        if (name.Length < 2 || name.Length > LookupQuery.MaxNameLength) return null;
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 8 || NotANameStart.Contains(words[0])) return null;
        if (QuestionWords().IsMatch(name)) return null;
        return name;
    }

    [GeneratedRegex(@"^\s*(?:(?:mpn|partner\s*-?\s*id|partnerid)\s*(?:id)?\s*[:#]?\s*)?#?(?<id>\d{5,8})\s*\??$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BarePartnerId();

    // "mpn", "mpn id", "partner id", "partnerid", "partner number", "pga", "pla": a number with these is a partner id.
    [GeneratedRegex(@"\b(?:mpn|partner\s*-?\s*id|partnerid|partner\s+number|pga|pla)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PartnerIdTrigger();

    // Right after "mpn id" any length counts, so a mistyped id gets a format explanation instead of a guidance answer.
    [GeneratedRegex(@"\b(?:mpn|partner\s*-?\s*id|partnerid)(?:\s*id)?(?:\s+(?:is|of|=))?\s*[:#]?\s*#?(?<id>\d{3,12})(?![\w\-]|\.\d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ExplicitPartnerId();

    [GeneratedRegex(@"\bpartner\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WeakPartnerTrigger();

    [GeneratedRegex(@"(?<![\w\-.])#?(?<id>\d{5,8})(?![\w\-]|\.\d)", RegexOptions.CultureInvariant)]
    private static partial Regex ProbablePartnerId();

    [GeneratedRegex(@"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Guids();

    [GeneratedRegex(@"(?<![\w\-.])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,22}[a-z](?![\w\-]|\.[a-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DomainTokens();

    [GeneratedRegex(@"\b(?:who|whose|por|dpor|cpor|partner\s+of\s+record|look\s*up|find|check|show|search|listed)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CustomerTrigger();

    // "who is the partner of record for X", "who's POR on X", "which partner is the POR of X", "what partner is listed for X"
    [GeneratedRegex(@"^(?:who|which\s+partner|what\s+partner)(?:'s|’s|\s+is|\s+are)?\s+(?:the\s+)?(?:current\s+)?(?:(?:por|dpor|partner(?:\s+of\s+record)?|listed)\s+)?(?:listed\s+)?(?:as\s+(?:the\s+)?(?:por|partner\s+of\s+record)\s+)?(?:for|of|on)\s+(?<name>.+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WhoIsPorFor();

    // "POR for X", "look up the partner of record of X", "check POR for X"
    [GeneratedRegex(@"^(?:(?:please\s+)?(?:look\s*up|find|check|show(?:\s+me)?|search(?:\s+for)?|get)\s+)?(?:the\s+)?(?:por|dpor|partner\s+of\s+record)\s+(?:for|of|on)\s+(?<name>.+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PorFor();

    // "does X have a partner of record?"
    [GeneratedRegex(@"^(?:does|do)\s+(?<name>.+?)\s+have\s+an?\s+(?:por|dpor|partner(?:\s+of\s+record)?)\b.*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DoesHavePor();

    [GeneratedRegex(@"(?:'s|’s)?\s+(?:subscriptions?|tenant|account)$|\s+(?:please|now|today)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TrailingNoise();

    [GeneratedRegex(@"^(?:the\s+)?(?:customer|company|organi[sz]ation|client)\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LeadingNoise();

    [GeneratedRegex(@"\b(?:how|what|why|when|where|should|can|could|would|become|change|set|add|remove|claim|has|have|had|is|are|was|were|will|do|does|did|using|bought|buy|deploy\w*)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionWords();
}
