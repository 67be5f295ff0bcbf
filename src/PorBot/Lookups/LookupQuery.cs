using System.Text.RegularExpressions;

namespace PorBot.Lookups;

public enum LookupQueryKind
{
    Empty,

    /// <summary>A GUID: a subscription id or a customer tenant id (the registry is asked for both).</summary>
    Id,
    Domain,
    CustomerName,
    PartnerId,
    PartnerName,
}

/// <summary>What a lookup argument is. <see cref="Text"/> is normalised (domain lower-cased, whitespace collapsed).</summary>
public sealed partial record LookupQuery(LookupQueryKind Kind, string Text, Guid Id = default)
{
    /// <summary>Longer names are cut: no customer name is this long, and it bounds the work a search does.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The argument of <c>lookup …</c>: a subscription or tenant id, a domain (also from an e-mail address or URL), or a customer name.</summary>
    public static LookupQuery ForCustomer(string argument)
    {
        var text = Clean(argument);
        if (text.Length == 0) return new(LookupQueryKind.Empty, text);
        if (Guid.TryParse(text, out var id)) return new(LookupQueryKind.Id, id.ToString("D"), id);
        if (AsDomain(text) is { } domain) return new(LookupQueryKind.Domain, domain);
        return new(LookupQueryKind.CustomerName, Truncate(text));
    }

    /// <summary>The message extension's one search box: customers as <see cref="ForCustomer"/>, plus partner ids and <c>mpn …</c> / <c>partner …</c>.</summary>
    public static LookupQuery ForSearch(string text)
    {
        var cleaned = Clean(text);
        if (PartnerSearchPrefix().Match(cleaned) is { Success: true } partner)
        {
            var rest = cleaned[partner.Length..].Trim();
            if (rest.Length == 0) return new(LookupQueryKind.Empty, rest);
            return PartnerIdLike().IsMatch(rest) ? new(LookupQueryKind.PartnerId, rest) : new(LookupQueryKind.PartnerName, Truncate(rest));
        }

        if (PartnerIdLike().IsMatch(cleaned)) return new(LookupQueryKind.PartnerId, cleaned);
        return ForCustomer(cleaned);
    }

    /// <summary>A domain written on its own, in an e-mail address or in a URL; null for anything else.</summary>
    internal static string? AsDomain(string text)
    {
        var candidate = text.Trim().TrimEnd('.', '/').ToLowerInvariant();
        if (Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") candidate = uri.Host;
        var at = candidate.LastIndexOf('@');
        if (at >= 0) candidate = candidate[(at + 1)..];
        return WholeDomain().IsMatch(candidate) ? candidate : null;
    }

    private static string Clean(string text) =>
        Whitespace().Replace(text ?? string.Empty, " ").Trim().Trim('"', '\'', '“', '”', '‘', '’', '`').Trim();

    private static string Truncate(string text) => text.Length <= MaxNameLength ? text : text[..MaxNameLength].TrimEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // Labels of letters, digits and inner hyphens; a top-level domain of letters (so "1.5" is no domain).
    [GeneratedRegex(@"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,22}[a-z]$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeDomain();

    [GeneratedRegex(@"^(?:mpn|partner\s*-?\s*id|partnerid)?\s*[:#]?\s*#?\d{3,12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PartnerIdLike();

    [GeneratedRegex(@"^partner(?:s)?\s*:?\s+(?!id\b)|^partner(?:s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PartnerSearchPrefix();
}
